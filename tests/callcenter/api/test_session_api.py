"""`POST /api/session` against a local fake of the GA client_secrets endpoint."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from callcenter.identity import set_credential
from tests.conftest import HostFactory
from tests.support.servers import serve

API_KEY = "sk-long-lived-secret-key-0123456789"


@dataclass
class FakeOpenAI:
    """Records what the function app sent and answers with `status`."""

    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def client_secrets(request: Request) -> JSONResponse:
            self.requests.append({"headers": dict(request.headers), "body": await request.json()})
            if self.status != 200:
                return JSONResponse({"error": {"message": f"upstream says no; key {API_KEY}"}}, self.status)
            return JSONResponse(
                {
                    "value": "ek_test_ephemeral",
                    "expires_at": 1_900_000_000,
                    "session": {"id": "sess_123", "type": "realtime"},
                }
            )

        return Starlette(routes=[Route("/openai/v1/realtime/client_secrets", client_secrets, methods=["POST"])])


@pytest.fixture
def upstream() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI()
    with serve(fake.app()) as url:
        yield fake, url


def test_session_mints_an_ephemeral_key_with_the_agents_configuration(function_host: HostFactory, upstream) -> None:
    fake, url = upstream
    with function_host(AZURE_OPENAI_ENDPOINT=url, AZURE_OPENAI_API_KEY=API_KEY) as base:
        response = httpx.post(f"{base}/api/session", json={"agent": "healthcare"})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "session_id": "sess_123",
        "ephemeral_key": "ek_test_ephemeral",
        "expires_at": 1_900_000_000,
        "realtime_url": f"{url}/openai/v1/realtime/calls",
        "deployment": "gpt-realtime",
        "voice": "shimmer",
        "agent": "healthcare",
        "backend": "realtime",
    }
    sent = fake.requests[0]
    assert sent["headers"]["api-key"] == API_KEY
    session = sent["body"]["session"]
    assert session["type"] == "realtime" and session["model"] == "gpt-realtime"
    assert session["audio"]["output"]["voice"] == "shimmer"
    assert "book_appointment" in {tool["name"] for tool in session["tools"]}
    assert sent["body"]["expires_after"] == {"anchor": "created_at", "seconds": 600}


def test_session_without_a_key_uses_an_entra_bearer_token(function_host: HostFactory, upstream) -> None:
    class FakeCredential:
        scopes: list[str] = []

        async def get_token(self, scope: str) -> Any:
            self.scopes.append(scope)
            return type("Token", (), {"token": "entra-token"})()

    fake, url = upstream
    credential = FakeCredential()
    set_credential(credential)
    try:
        with function_host(AZURE_OPENAI_ENDPOINT=url) as base:
            assert httpx.post(f"{base}/api/session", json={}).status_code == 200
    finally:
        set_credential(None)
    assert fake.requests[0]["headers"]["authorization"] == "Bearer entra-token"
    assert "api-key" not in fake.requests[0]["headers"]
    assert credential.scopes == ["https://cognitiveservices.azure.com/.default"]


@pytest.mark.parametrize(
    ("status", "code"), [(401, "upstream_auth"), (429, "upstream_rate_limited"), (500, "upstream_error")]
)
def test_session_upstream_errors_become_502_without_secrets(
    function_host: HostFactory, upstream, caplog: pytest.LogCaptureFixture, status: int, code: str
) -> None:
    fake, url = upstream
    fake.status = status
    caplog.set_level(logging.DEBUG)
    with function_host(AZURE_OPENAI_ENDPOINT=url, AZURE_OPENAI_API_KEY=API_KEY) as base:
        response = httpx.post(f"{base}/api/session", json={"agent": "default"})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == code
    assert API_KEY not in response.text
    assert API_KEY not in caplog.text


def test_session_unreachable_upstream_is_502(function_host: HostFactory) -> None:
    with function_host(AZURE_OPENAI_ENDPOINT="http://127.0.0.1:9", AZURE_OPENAI_API_KEY=API_KEY) as base:
        response = httpx.post(f"{base}/api/session", json={})
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_unreachable"


def test_session_without_azure_openai_settings_is_503_naming_the_setting(function_host: HostFactory) -> None:
    with function_host() as base:
        response = httpx.post(f"{base}/api/session", json={})
    assert response.status_code == 503
    assert "AZURE_OPENAI_ENDPOINT" in response.json()["error"]["message"]


def test_session_for_an_unknown_agent_is_404_and_bad_body_400(function_host: HostFactory, upstream) -> None:
    fake, url = upstream
    with function_host(AZURE_OPENAI_ENDPOINT=url, AZURE_OPENAI_API_KEY=API_KEY) as base:
        assert httpx.post(f"{base}/api/session", json={"agent": "ghost"}).status_code == 404
        assert httpx.post(f"{base}/api/session", json={"agent": 7}).status_code == 400
        assert httpx.post(f"{base}/api/session", json={"surprise": True}).status_code == 400
    assert fake.requests == []


def test_session_is_rate_limited_per_client(function_host: HostFactory, upstream) -> None:
    fake, url = upstream
    with function_host(
        AZURE_OPENAI_ENDPOINT=url, AZURE_OPENAI_API_KEY=API_KEY, SESSION_RATE_LIMIT_PER_MINUTE="2"
    ) as base:
        statuses = [
            httpx.post(f"{base}/api/session", json={}, headers={"x-forwarded-for": "203.0.113.9"}).status_code
            for _ in range(3)
        ]
        other = httpx.post(f"{base}/api/session", json={}, headers={"x-forwarded-for": "203.0.113.10"})
    assert statuses == [200, 200, 429]
    assert other.status_code == 200
    assert len(fake.requests) == 3


def test_session_refuses_origins_outside_the_allowlist(function_host: HostFactory, upstream) -> None:
    _fake, url = upstream
    with function_host(
        AZURE_OPENAI_ENDPOINT=url, AZURE_OPENAI_API_KEY=API_KEY, CORS_ALLOWED_ORIGINS="https://web.example"
    ) as base:
        refused = httpx.post(f"{base}/api/session", json={}, headers={"origin": "https://evil.example"})
        allowed = httpx.post(f"{base}/api/session", json={}, headers={"origin": "https://web.example"})
    assert refused.status_code == 403 and allowed.status_code == 200


def test_session_can_require_a_signed_in_user(function_host: HostFactory, upstream) -> None:
    import base64
    import json

    _fake, url = upstream
    principal = base64.b64encode(json.dumps({"userId": "u1", "identityProvider": "aad"}).encode()).decode()
    with function_host(AZURE_OPENAI_ENDPOINT=url, AZURE_OPENAI_API_KEY=API_KEY, REQUIRE_SIGNED_IN_USER="true") as base:
        anonymous = httpx.post(f"{base}/api/session", json={})
        forged = httpx.post(f"{base}/api/session", json={}, headers={"x-ms-client-principal": "%%%"})
        signed_in = httpx.post(f"{base}/api/session", json={}, headers={"x-ms-client-principal": principal})
    assert anonymous.status_code == 401 and forged.status_code == 401 and signed_in.status_code == 200


BRIDGE_SETTINGS = {
    "ACS_ENDPOINT": "http://127.0.0.1:9",
    "ACS_PHONE_NUMBER": "+18005550100",
    "ACS_RESOURCE_ID": "test-resource",
    "PUBLIC_BASE_URL": "http://127.0.0.1:7071",
    "BRIDGE_PUBLIC_URL": "ws://127.0.0.1:8765",
    "CALL_TOKEN_SECRET": "test-call-token-secret-0123456789",
    "AGENT_BACKENDS": "healthcare=voice-live",
}


def test_a_voice_live_agents_session_is_a_single_use_bridge_token_without_any_key(
    function_host: HostFactory, upstream
) -> None:
    import jwt

    from bridge.tokens import verify_web_token

    fake, url = upstream
    with function_host(AZURE_OPENAI_ENDPOINT=url, AZURE_OPENAI_API_KEY=API_KEY, **BRIDGE_SETTINGS) as base:
        response = httpx.post(f"{base}/api/session", json={"agent": "healthcare"})
        second = httpx.post(f"{base}/api/session", json={"agent": "healthcare"})
        agents = {a["name"]: a for a in httpx.get(f"{base}/api/agents").json()["agents"]}
    assert response.status_code == 200
    body = response.json()
    assert body["backend"] == "voice-live" and body["agent"] == "healthcare"
    assert body["bridge_url"] == "ws://127.0.0.1:8765/web/realtime"
    assert body["voice"] == "en-US-Ava:DragonHDLatestNeural" and "ephemeral_key" not in body
    assert fake.requests == []  # no Realtime key was minted for it
    # The bridge accepts it for this agent only; it names the session, expires within minutes, carries no key.
    grant = verify_web_token(body["bridge_token"], "healthcare", BRIDGE_SETTINGS["CALL_TOKEN_SECRET"])
    assert grant.session_id == body["session_id"] and grant.expires_at == body["expires_at"]
    claims = jwt.decode(body["bridge_token"], options={"verify_signature": False})
    assert set(claims) == {"sub", "agent", "aud", "jti", "iat", "exp"} and claims["exp"] - claims["iat"] <= 300
    assert claims["jti"] != jwt.decode(second.json()["bridge_token"], options={"verify_signature": False})["jti"]
    assert agents["healthcare"]["web_backend"] == "voice-live"
    assert agents["healthcare"]["web_voice"] == "en-US-Ava:DragonHDLatestNeural"


def test_without_the_bridge_a_voice_live_agents_web_session_runs_on_realtime(
    function_host: HostFactory, upstream
) -> None:
    _fake, url = upstream
    with function_host(
        AZURE_OPENAI_ENDPOINT=url, AZURE_OPENAI_API_KEY=API_KEY, AGENT_BACKENDS="healthcare=voice-live"
    ) as base:
        body = httpx.post(f"{base}/api/session", json={"agent": "healthcare"}).json()
    assert body["backend"] == "realtime" and body["ephemeral_key"] == "ek_test_ephemeral"


def test_the_bridge_gets_a_web_sessions_voice_live_configuration_with_the_function_key(
    function_host: HostFactory, upstream
) -> None:
    from tests.conftest import FUNCTION_KEY

    _fake, url = upstream
    path = "/api/internal/web-sessions/web_abc/agents"
    with function_host(AZURE_OPENAI_ENDPOINT=url, AZURE_OPENAI_API_KEY=API_KEY, **BRIDGE_SETTINGS) as base:
        keyed = {"x-functions-key": FUNCTION_KEY}
        body = httpx.get(f"{base}{path}/healthcare", headers=keyed).json()
        unkeyed = httpx.get(f"{base}{path}/healthcare")
        unknown = httpx.get(f"{base}{path}/ghost", headers=keyed)
        listed = httpx.get(f"{base}/api/tools", params={"channel": "web", "agent": "healthcare"}).json()["tools"]
        phone = httpx.get(f"{base}/api/tools", params={"channel": "phone", "agent": "healthcare"}).json()["tools"]
    assert body["backend"] == "voice-live" and body["agent"] == "healthcare" and body["call_id"] == "web_abc"
    session = body["session"]
    assert session["voice"] == {"type": "azure-standard", "name": "en-US-Ava:DragonHDLatestNeural"}
    tools = {tool["name"] for tool in session["tools"]}
    assert tools == {tool["name"] for tool in listed} != {tool["name"] for tool in phone}  # the web channel's
    assert body["greeting"] == ""  # the browser asks for its greeting, as on WebRTC
    assert unkeyed.status_code == 401 and unknown.status_code == 404

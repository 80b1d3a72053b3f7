"""No function app response ever contains the Azure OpenAI or the Voice Live key.

The app runs with both keys set and a Voice Live agent, against an upstream that echoes the key in
its errors (the worst case). Every GET operation of the OpenAPI document, a minted web session for
each agent, a handoff rendered for either backend and the upstream's failure are scanned, bodies and
headers. tests/callcenter/api/test_api_fuzz.py scans its generated requests for the same keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import FUNCTION_KEY, HostFactory
from tests.support.servers import serve

OPENAI_KEY = "sk-openai-long-lived-0123456789abcdef"
VOICE_LIVE_KEY = "vl-voice-live-long-lived-0123456789abcdef"
KEYS = (OPENAI_KEY, VOICE_LIVE_KEY)


def leaks(response: httpx.Response) -> list[str]:
    text = response.text + "".join(f"{k}: {v}" for k, v in response.headers.items())
    return [f"{response.request.method} {response.request.url.path}" for key in KEYS if key in text]


def decoded(token: str) -> str:
    """A JWT's claims as text (the signature is the bridge's business here)."""
    return json.dumps(jwt.decode(token, options={"verify_signature": False}))


@pytest.fixture
def echoing_upstream() -> Iterator[tuple[list[int], str]]:
    """A client_secrets endpoint that answers with `status[0]` and puts both keys into its errors."""
    status = [200]

    async def client_secrets(request: Request) -> JSONResponse:
        if status[0] != 200:
            return JSONResponse({"error": {"message": f"no; keys {OPENAI_KEY} {VOICE_LIVE_KEY}"}}, status[0])
        return JSONResponse({"value": "ek_short_lived", "expires_at": 1_900_000_000, "session": {"id": "sess_1"}})

    app = Starlette(routes=[Route("/openai/v1/realtime/client_secrets", client_secrets, methods=["POST"])])
    with serve(app) as url:
        yield status, url


def test_no_response_contains_the_openai_or_voice_live_key(function_host: HostFactory, echoing_upstream) -> None:
    status, url = echoing_upstream
    settings = {
        "AZURE_OPENAI_ENDPOINT": url,
        "AZURE_OPENAI_API_KEY": OPENAI_KEY,
        "VOICE_LIVE_API_KEY": VOICE_LIVE_KEY,
        "AGENT_BACKENDS": "healthcare=voice-live,telecom=voice-live",
    }
    # With the bridge configured, Voice Live agents' web sessions get a bridge token instead of a key.
    bridge = {
        "ACS_ENDPOINT": "http://127.0.0.1:9",
        "ACS_PHONE_NUMBER": "+18005550100",
        "ACS_RESOURCE_ID": "test-resource",
        "PUBLIC_BASE_URL": "http://127.0.0.1:7071",
        "BRIDGE_PUBLIC_URL": "ws://127.0.0.1:8765",
        "CALL_TOKEN_SECRET": "test-call-token-secret-0123456789",
    }
    found: list[str] = []
    with function_host(**settings, **bridge) as base, httpx.Client(base_url=base, timeout=10) as api:
        document = api.get("/api/openapi.json").json()
        for path, methods in document["paths"].items():
            if "get" in methods and "{" not in path:
                found += leaks(api.get(path, headers={"x-functions-key": FUNCTION_KEY}))
        agents = [agent["name"] for agent in api.get("/api/agents").json()["agents"]]
        for agent in agents:
            response = api.post("/api/session", json={"agent": agent})
            assert response.status_code == 200
            if agent in ("healthcare", "telecom"):  # Voice Live: the bridge's token, no key of any kind
                assert response.json()["backend"] == "voice-live" and "ephemeral_key" not in response.json()
                found += [agent for key in KEYS if key in decoded(response.json()["bridge_token"])]
            else:
                assert response.json()["ephemeral_key"] == "ek_short_lived"
            found += leaks(response)
        for backend in ("realtime", "voice-live"):
            handoff = {"name": "handoff_to_agent", "agent": "default", "backend": backend}
            response = api.post(
                "/api/function-call", json={**handoff, "arguments": {"agent": "telecom", "reason": "x"}}
            )
            assert response.json()["agent"] == "telecom"
            found += leaks(response)
        status[0] = 401
        refused = api.post("/api/session", json={"agent": "retail"})
        assert refused.status_code == 502
        found += leaks(refused)
    assert len(agents) >= 4 and found == []


def test_the_scan_finds_a_key_when_one_is_there() -> None:
    request = httpx.Request("GET", "http://test/api/x")
    assert leaks(httpx.Response(200, text=f"key={VOICE_LIVE_KEY}", request=request)) == ["GET /api/x"]
    assert leaks(httpx.Response(200, headers={"x-key": OPENAI_KEY}, request=request)) == ["GET /api/x"]
    assert leaks(httpx.Response(200, text="{}", request=request)) == []

"""API fuzz run: schemathesis generates requests from `GET /api/openapi.json`; none may get a 500,
and no response (body or headers) may contain the Azure OpenAI or Voice Live key.

The function app runs in the local host on loopback with every feature configured (Azurite for
records; ACS and Azure OpenAI endpoints on a closed port, so their calls fail the way an outage
does), and requests carry the function key, so generated input reaches the handlers rather than
stopping at the key check. Both schema-valid and schema-breaking input are generated; the run is
bounded per operation to keep it well under a minute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.conftest import FUNCTION_KEY
from tests.support.azurite import run_azurite
from tests.support.servers import free_port

EXAMPLES_PER_OPERATION = 25
CALL_TOKEN_SECRET = "f" * 48
# Long-lived keys the app is configured with: no response may ever carry them.
SECRET_KEYS = {"AZURE_OPENAI_API_KEY": "fuzz-openai-key-0123456789", "VOICE_LIVE_API_KEY": "fuzz-voicelive-key-0123"}


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


def configured(tables: str) -> dict[str, str]:
    closed = f"http://127.0.0.1:{free_port()}"
    return {
        "AZURE_OPENAI_ENDPOINT": closed,
        **SECRET_KEYS,
        "AGENT_BACKENDS": "healthcare=voice-live",
        "ACS_ENDPOINT": closed,
        "ACS_ACCESS_KEY": "ZnV6ei1hY3Mta2V5LWZ1enotYWNzLWtleS1mdXp6LWFjcw==",
        "ACS_PHONE_NUMBER": "+18005550100",
        "ACS_RESOURCE_ID": "fuzz-resource",
        "ACS_OPENID_CONFIG_URL": f"{closed}/openid",
        "PUBLIC_BASE_URL": "http://127.0.0.1:7071",
        "BRIDGE_PUBLIC_URL": "ws://127.0.0.1:8765",
        "CALL_TOKEN_SECRET": CALL_TOKEN_SECRET,
        "CALLCENTER_TABLES_CONNECTION": tables,
        "HUMAN_AGENT_TARGET": "+18005550199",
    }


def failures_of(operation: schemathesis.APIOperation, base: str, session: requests.Session) -> list[str]:
    """Requests to `operation` that got a 500 or an error without the JSON error body."""
    found: list[str] = []
    strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base, session=session, headers={"x-functions-key": FUNCTION_KEY}, timeout=15)
        request = f"{case.method} {response.request.url} body={str(case.body)[:200]}"
        seen = response.text + "".join(f"{k}: {v}" for k, v in response.headers.items())
        found.extend(f"{name} in the response to {request}" for name, key in SECRET_KEYS.items() if key in seen)
        if response.status_code == 500:
            found.append(f"500 for {request}: {response.text[:300]}")
        elif response.status_code >= 400 and response.status_code not in (404, 405):
            try:
                error = json.loads(response.text)["error"]
                assert isinstance(error["code"], str) and isinstance(error["message"], str)
            except (ValueError, KeyError, TypeError, AssertionError):
                found.append(f"{response.status_code} without a JSON error body for {request}: {response.text[:200]}")

    run()
    return found


def test_generated_requests_to_every_operation_never_get_a_500(function_host, tables) -> None:
    with function_host(**configured(tables)) as base:
        document = httpx.get(f"{base}/api/openapi.json").json()
        schema = schemathesis.openapi.from_dict(document)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == sum(len(methods) for methods in document["paths"].values())
        failures: list[str] = []
        with requests.Session() as session:
            for operation in operations:
                failures += failures_of(operation, base, session)
    assert failures == [], "\n".join(failures[:20])


def test_the_fuzz_run_sees_a_server_error_when_there_is_one() -> None:
    """The check itself can fail: a 500 from a tiny app is reported."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from tests.support.servers import serve

    async def broken(request: object) -> Response:
        return Response("boom", 500)

    async def ok(request: object) -> Response:
        return JSONResponse({})

    app = Starlette(routes=[Route("/api/broken", broken), Route("/api/ok", ok)])
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/api/broken": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/api/ok": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
    }
    schema = schemathesis.openapi.from_dict(document)
    with serve(app) as base, requests.Session() as session:
        found = {op.path: failures_of(op, base, session) for op in (r.ok() for r in schema.get_all_operations())}
    assert found["/api/ok"] == [] and found["/api/broken"] and found["/api/broken"][0].startswith("500")

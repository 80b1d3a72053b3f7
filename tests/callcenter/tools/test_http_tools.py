"""HTTP tools and OpenAPI import against a local business web service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from callcenter.tools.http_tools import DeclarationError, tool_from_declaration
from callcenter.tools.openapi_import import tools_from_openapi
from callcenter.tools.registry import Channel, ToolContext, ToolRegistry
from tests.conftest import HostFactory
from tests.support.servers import serve

LOOPBACK = frozenset({"127.0.0.1"})
CTX = ToolContext(channel=Channel.PHONE, agent="retail", call_id="call-42")


def business_service(seen: list[dict[str, Any]]) -> Starlette:
    async def loyalty(request: Request) -> JSONResponse:
        seen.append({"path": request.url.path, "query": dict(request.query_params), "headers": dict(request.headers)})
        customer = request.path_params["customer"]
        return JSONResponse({"customer": customer, "points": 1200, "tier": "gold", "internal": {"score": 7}})

    async def create_ticket(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append({"path": request.url.path, "body": body})
        return JSONResponse({"id": "T-1", "subject": body["subject"]}, status_code=201)

    async def broken(request: Request) -> JSONResponse:
        return JSONResponse({"error": "database down"}, status_code=503)

    async def redirect(request: Request) -> RedirectResponse:
        return RedirectResponse("http://169.254.169.254/metadata", status_code=302)

    return Starlette(
        routes=[
            Route("/loyalty/{customer:path}", loyalty),
            Route("/tickets", create_ticket, methods=["POST"]),
            Route("/broken", broken),
            Route("/redirect", redirect),
        ]
    )


@pytest.fixture
def service() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    with serve(business_service(seen)) as url:
        yield url, seen


def declaration(base: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "get_loyalty_points",
        "description": "Loyalty points of a customer",
        "parameters": {
            "type": "object",
            "properties": {"customer_id": {"type": "string"}},
            "required": ["customer_id"],
        },
        "method": "GET",
        "url": base + "/loyalty/{customer_id}",
        "query": {"channel": "voice"},
        "headers": {"x-api-key": "${CONTOSO_LOYALTY_KEY}"},
        "response_fields": ["points", "tier"],
        **extra,
    }


async def test_http_tool_fills_the_url_sends_secret_headers_and_selects_fields(service, monkeypatch) -> None:
    url, seen = service
    monkeypatch.setenv("CONTOSO_LOYALTY_KEY", "k-123")
    registry = ToolRegistry([tool_from_declaration(declaration(url), LOOPBACK)])
    result = await registry.execute("get_loyalty_points", '{"customer_id": "C 7"}', CTX)
    assert result.ok and result.output == {"status": 200, "data": {"points": 1200, "tier": "gold"}}
    assert seen[0]["path"] == "/loyalty/C 7" and seen[0]["query"] == {"channel": "voice"}
    assert seen[0]["headers"]["x-api-key"] == "k-123" and seen[0]["headers"]["x-call-id"] == "call-42"


async def test_http_tool_argument_cannot_change_the_host(service, monkeypatch) -> None:
    url, seen = service
    monkeypatch.setenv("CONTOSO_LOYALTY_KEY", "k")
    tool = tool_from_declaration(declaration(url), LOOPBACK)
    result = await ToolRegistry([tool]).execute("get_loyalty_points", {"customer_id": "@evil.example/x?"}, CTX)
    assert result.ok  # the request reached the declared host; the argument stayed inside the path
    assert seen[0]["path"].startswith("/loyalty/@evil.example/x") and seen[0]["query"] == {"channel": "voice"}


def test_http_tool_outside_the_allowlist_is_refused_at_declaration() -> None:
    with pytest.raises(DeclarationError, match="TOOL_ALLOWED_HOSTS"):
        tool_from_declaration(declaration("http://169.254.169.254"), LOOPBACK)


async def test_http_tool_does_not_follow_redirects(service) -> None:
    url, _ = service
    tool = tool_from_declaration(declaration(url, url=url + "/redirect", headers={}), LOOPBACK)
    result = await ToolRegistry([tool]).execute("get_loyalty_points", {"customer_id": "x"}, CTX)
    assert not result.ok and result.output["error"]["code"] == "upstream_redirect"


async def test_http_tool_upstream_error_and_unreachable_become_tool_errors(service) -> None:
    url, _ = service
    broken = tool_from_declaration(declaration(url, name="broken", url=url + "/broken", headers={}), LOOPBACK)
    down = tool_from_declaration(declaration("http://127.0.0.1:9", name="down", headers={}), LOOPBACK)
    registry = ToolRegistry([broken, down])
    first = await registry.execute("broken", {"customer_id": "x"}, CTX)
    second = await registry.execute("down", {"customer_id": "x"}, CTX)
    assert first.output["error"]["code"] == "upstream_503"
    assert second.output["error"]["code"] == "upstream_unreachable"


async def test_http_tool_missing_secret_setting_is_a_tool_error_not_a_crash(service) -> None:
    url, _ = service
    registry = ToolRegistry([tool_from_declaration(declaration(url), LOOPBACK)])
    result = await registry.execute("get_loyalty_points", {"customer_id": "x"}, CTX)
    assert not result.ok and result.output["error"]["code"] == "tool_failed"


SAMPLE_OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Helpdesk", "version": "1"},
    "servers": [{"url": "http://placeholder"}],
    "paths": {
        "/tickets": {
            "post": {
                "operationId": "createTicket",
                "summary": "Open a helpdesk ticket",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewTicket"}}},
                },
                "responses": {"201": {"description": "created"}},
            }
        },
        "/loyalty/{customer}": {
            "get": {
                "operationId": "getLoyalty",
                "parameters": [{"name": "customer", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "components": {
        "schemas": {
            "NewTicket": {"type": "object", "properties": {"subject": {"type": "string"}}, "required": ["subject"]}
        }
    },
}


async def test_openapi_operations_become_tools_with_body_and_path_arguments(service) -> None:
    url, seen = service
    tools = tools_from_openapi(SAMPLE_OPENAPI, ["createTicket", "getLoyalty"], LOOPBACK, base_url=url)
    registry = ToolRegistry(tools)
    assert registry.names() == ["create_ticket", "get_loyalty"]
    definition = registry.definitions(Channel.WEB)[0]
    assert definition["parameters"]["properties"]["body"]["required"] == ["subject"]
    created = await registry.execute("create_ticket", {"body": {"subject": "router broken"}}, CTX)
    assert created.output == {"status": 201, "data": {"id": "T-1", "subject": "router broken"}}
    assert seen[0]["body"] == {"subject": "router broken"}
    invalid = pytest.raises(Exception, match="subject")
    with invalid:
        await registry.execute("create_ticket", {"body": {}}, CTX)


def test_openapi_unknown_operation_and_foreign_host_are_refused() -> None:
    with pytest.raises(DeclarationError, match="unknown OpenAPI operations"):
        tools_from_openapi(SAMPLE_OPENAPI, ["deleteEverything"], LOOPBACK, base_url="http://127.0.0.1:1")
    with pytest.raises(DeclarationError):
        tools_from_openapi(SAMPLE_OPENAPI, ["getLoyalty"], LOOPBACK)


def test_declared_tools_are_served_by_the_api(function_host: HostFactory, service, tmp_path: Path) -> None:
    url, _ = service
    spec = tmp_path / "helpdesk.json"
    spec.write_text(json.dumps(SAMPLE_OPENAPI))
    (tmp_path / "openapi_tools.json").write_text(
        json.dumps({"documents": [{"spec": "helpdesk.json", "operations": ["createTicket"], "base_url": url}]})
    )
    (tmp_path / "http_tools.json").write_text(json.dumps({"tools": [declaration(url, headers={}, agents=["retail"])]}))
    with function_host(
        HTTP_TOOLS_FILE=str(tmp_path / "http_tools.json"),
        OPENAPI_TOOLS_FILE=str(tmp_path / "openapi_tools.json"),
        TOOL_ALLOWED_HOSTS="127.0.0.1",
    ) as base:
        retail = {t["name"] for t in httpx.get(f"{base}/api/tools", params={"agent": "retail"}).json()["tools"]}
        telecom = {t["name"] for t in httpx.get(f"{base}/api/tools", params={"agent": "telecom"}).json()["tools"]}
        called = httpx.post(
            f"{base}/api/function-call", json={"name": "get_loyalty_points", "arguments": {"customer_id": "C1"}}
        ).json()
    assert {"get_loyalty_points", "create_ticket"} <= retail
    assert "create_ticket" in telecom and "get_loyalty_points" not in telecom
    assert json.loads(called["output"])["data"]["points"] == 1200


def test_broken_tool_declaration_is_503_not_a_crash(function_host: HostFactory, tmp_path: Path) -> None:
    (tmp_path / "http_tools.json").write_text(json.dumps({"tools": [declaration("https://not-allowed.example")]}))
    with function_host(HTTP_TOOLS_FILE=str(tmp_path / "http_tools.json")) as base:
        response = httpx.get(f"{base}/api/tools")
        health = httpx.get(f"{base}/api/healthz")
    assert response.status_code == 503 and "not-allowed.example" in response.json()["error"]["message"]
    assert health.status_code == 200

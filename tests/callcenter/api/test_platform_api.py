"""Health, runtime config, source phone number and the OpenAPI document."""

from __future__ import annotations

import httpx

from tests.conftest import FUNCTION_KEY, HostFactory
from tests.support.servers import free_port


def test_healthz_reports_which_features_are_configured(function_host: HostFactory) -> None:
    with function_host(AZURE_OPENAI_ENDPOINT="https://x.openai.azure.com") as base:
        body = httpx.get(f"{base}/api/healthz").json()
    assert body == {"status": "ok", "features": {"web": True, "phone": False, "records": False, "summaries": False}}


def test_runtime_config_is_javascript_without_secrets(function_host: HostFactory) -> None:
    with function_host(
        AZURE_OPENAI_ENDPOINT="https://x.openai.azure.com",
        AZURE_OPENAI_API_KEY="secret-key-123",
        API_BASE_URL="https://api.example",
    ) as base:
        response = httpx.get(f"{base}/api/runtime-config.js")
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.text.startswith("window.__RUNTIME_CONFIG__ = ")
    assert '"apiBaseUrl": "https://api.example"' in response.text
    assert "secret-key-123" not in response.text


def test_source_phone_number_is_503_until_phone_is_configured(function_host: HostFactory) -> None:
    with function_host() as base:
        response = httpx.get(f"{base}/api/source-phone-number")
    assert response.status_code == 503
    assert "ACS_ENDPOINT" in response.json()["error"]["message"]


def test_source_phone_number_when_configured(function_host: HostFactory) -> None:
    settings = {
        "ACS_ENDPOINT": "https://acs.example",
        "ACS_PHONE_NUMBER": "+18005550100",
        "ACS_RESOURCE_ID": "rid",
        "PUBLIC_BASE_URL": "https://app.example",
        "BRIDGE_PUBLIC_URL": "wss://bridge.example",
        "CALL_TOKEN_SECRET": "0123456789abcdef0123456789abcdef",
    }
    with function_host(**settings) as base:
        assert httpx.get(f"{base}/api/source-phone-number").json() == {"phone_number": "+18005550100"}


def test_malformed_setting_is_503_naming_it_not_a_crash(function_host: HostFactory) -> None:
    with function_host(MAX_BODY_BYTES="lots") as base:
        response = httpx.post(f"{base}/api/function-call", json={"name": "list_plans"})
    assert response.status_code == 503
    assert "MAX_BODY_BYTES" in response.json()["error"]["message"]


def test_openapi_document_lists_every_route_the_host_serves(function_host: HostFactory) -> None:
    with function_host() as base:
        document = httpx.get(f"{base}/api/openapi.json").json()
        assert document["openapi"] == "3.1.0"
        for path, operations in document["paths"].items():
            for method in operations:
                response = httpx.request(method.upper(), f"{base}{path}", json={})
                assert response.status_code != 404 or response.json()["error"]["code"] != "not_found", path
    assert "/api/session" in document["paths"] and "/api/function-call" in document["paths"]
    session = document["paths"]["/api/session"]["post"]
    assert session["requestBody"]["content"]["application/json"]["schema"]["properties"]["agent"]


def test_storage_out_of_reach_is_503_with_retry_after_not_500(function_host: HostFactory) -> None:
    unreachable = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        f"TableEndpoint=http://127.0.0.1:{free_port()}/devstoreaccount1;"
    )
    with function_host(CALLCENTER_TABLES_CONNECTION=unreachable) as base:
        response = httpx.get(f"{base}/api/calls", headers={"x-functions-key": FUNCTION_KEY}, timeout=120)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.headers["retry-after"] == "5"

"""`/api/agents`, `/api/tools` and `/api/function-call` through HTTP on loopback."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import HostFactory


@pytest.fixture
def api(function_host: HostFactory):
    with function_host() as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


def test_agents_lists_every_profile_with_its_handoffs(api: httpx.Client) -> None:
    body = api.get("/api/agents").json()
    names = {agent["name"]: agent for agent in body["agents"]}
    assert {"default", "telecom", "healthcare", "retail"} <= set(names)
    assert names["default"]["handoffs"] == ["telecom", "healthcare", "retail"]
    assert body["default"] == "default"


def test_tools_for_web_exclude_phone_only_call_control(api: httpx.Client) -> None:
    body = api.get("/api/tools", params={"channel": "web"}).json()
    names = {tool["name"] for tool in body["tools"]}
    assert "get_account_balance" in names and "end_call" in names
    assert "escalate_to_human" not in names
    assert body["tool_choice"] == "auto"
    assert all(tool["type"] == "function" and "parameters" in tool for tool in body["tools"])


def test_tools_for_an_agent_are_only_its_own(api: httpx.Client) -> None:
    body = api.get("/api/tools", params={"channel": "phone", "agent": "healthcare"}).json()
    names = {tool["name"] for tool in body["tools"]}
    assert "book_appointment" in names and "escalate_to_human" in names
    assert "order_status" not in names


def test_tools_with_unknown_channel_or_agent_are_refused(api: httpx.Client) -> None:
    bad_channel = api.get("/api/tools", params={"channel": "fax"})
    assert bad_channel.status_code == 400 and bad_channel.json()["error"]["code"] == "invalid_input"
    assert api.get("/api/tools", params={"agent": "nobody"}).status_code == 404


def test_function_call_runs_a_tool_with_string_arguments(api: httpx.Client) -> None:
    response = api.post(
        "/api/function-call",
        json={"name": "get_account_balance", "call_id": "c1", "arguments": '{"account_id": "ACC-1002"}'},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["call_id"] == "c1" and body["ok"] is True
    assert json.loads(body["output"])["balance"] == 82.5


def test_function_call_accepts_object_arguments(api: httpx.Client) -> None:
    body = api.post("/api/function-call", json={"name": "check_outage", "arguments": {"zip_code": "98101"}}).json()
    assert json.loads(body["output"])["outage"] is True


def test_function_call_reports_tool_errors_to_the_model_not_as_http_errors(api: httpx.Client) -> None:
    response = api.post(
        "/api/function-call", json={"name": "get_account_balance", "arguments": {"account_id": "ACC-9999"}}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False and json.loads(body["output"])["error"]["code"] == "not_found"


def test_function_call_unknown_tool_is_404(api: httpx.Client) -> None:
    response = api.post("/api/function-call", json={"name": "launch_rockets", "arguments": {}})
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_tool"


def test_function_call_schema_invalid_arguments_are_422_naming_the_field(api: httpx.Client) -> None:
    response = api.post("/api/function-call", json={"name": "check_outage", "arguments": {"zip_code": "ABCDE"}})
    assert response.status_code == 422
    assert "zip_code" in response.json()["error"]["message"]


def test_function_call_bad_json_and_wrong_types_are_400(api: httpx.Client) -> None:
    bad_json = api.post("/api/function-call", content=b"{not json", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    wrong_type = api.post("/api/function-call", json={"name": 42})
    assert wrong_type.status_code == 400 and "name" in wrong_type.json()["error"]["message"]
    not_object = api.post("/api/function-call", json=["get_account_balance"])
    assert not_object.status_code == 400
    bad_arguments = api.post("/api/function-call", json={"name": "list_plans", "arguments": "{oops"})
    assert bad_arguments.status_code == 400 and bad_arguments.json()["error"]["code"] == "invalid_arguments"


def test_function_call_oversized_body_is_413(api: httpx.Client) -> None:
    response = api.post("/api/function-call", content=b'{"name": "' + b"x" * 2_000_000 + b'"}')
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_function_call_deeply_nested_json_is_refused(api: httpx.Client) -> None:
    nested = "[" * 200 + "]" * 200
    response = api.post("/api/function-call", content=('{"name": "list_plans", "arguments": {"a": ' + nested + "}}"))
    assert response.status_code == 400


def test_handoff_returns_the_specialists_session_without_changing_voice(api: httpx.Client) -> None:
    response = api.post(
        "/api/function-call",
        json={"name": "handoff_to_agent", "agent": "default", "arguments": {"agent": "retail", "reason": "return"}},
    )
    body = response.json()
    assert body["agent"] == "retail"
    session = body["session"]
    assert session["type"] == "realtime" and "voice" not in session["audio"]["output"]
    assert "order_status" in {tool["name"] for tool in session["tools"]}


def test_handoff_to_an_agent_not_listed_is_refused_to_the_model(api: httpx.Client) -> None:
    body = api.post(
        "/api/function-call",
        json={"name": "handoff_to_agent", "agent": "healthcare", "arguments": {"agent": "retail", "reason": "x"}},
    ).json()
    assert body["ok"] is False and "agent" not in body
    assert json.loads(body["output"])["error"]["code"] == "handoff_refused"


def test_function_call_for_a_tool_outside_the_agents_set_is_404(api: httpx.Client) -> None:
    response = api.post("/api/function-call", json={"name": "order_status", "agent": "healthcare", "arguments": {}})
    assert response.status_code == 404


def test_web_handoffs_come_in_the_dialect_of_the_sessions_backend(api: httpx.Client) -> None:
    """A WebRTC session takes a Realtime session; a Voice Live one through the bridge, Voice Live's flat one."""
    handoff = {"name": "handoff_to_agent", "agent": "default", "arguments": {"agent": "telecom", "reason": "bill"}}
    realtime = api.post("/api/function-call", json={**handoff, "backend": "realtime"}).json()["session"]
    assert realtime["type"] == "realtime" and "voice" not in realtime["audio"]["output"]
    assert api.post("/api/function-call", json=handoff).json()["session"] == realtime  # the default
    voice_live = api.post("/api/function-call", json={**handoff, "backend": "voice-live"}).json()["session"]
    assert "type" not in voice_live and "voice" not in voice_live and voice_live["instructions"]
    assert api.post("/api/function-call", json={**handoff, "backend": "gemini"}).status_code == 400

"""Phone calls end to end: the whole local stack as `make run` starts it, on ephemeral ports.

The ACS simulator places and answers calls through the real SDK, signs its callbacks, delivers
IncomingCall through the Event Grid endpoint and acts as the caller's phone; the bridge relays
the audio to the scripted Realtime simulator; the function app runs each call's orchestration on
the local Durable engine and keeps records in Azurite.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from callcenter.agents.profiles import PROFILES
from callcenter.telephony.calls import RECORDING_NOTICE
from callcenter.telephony.tokens import CALLBACK_AUDIENCE, issue_token
from devstack.run import HUMAN_AGENT_NUMBER, Stack
from tests.support.stack import scripted_stack

CALL_SECONDS = 90.0
SCENARIO = {
    "greeting": "Hello, thanks for calling Contoso.",
    "turns": [
        {
            "caller": "what is my balance",
            "agent": "Let me check.",
            "tool_calls": [{"name": "get_account_balance", "arguments": {"account_id": "ACC-1001"}}],
            "after_tools": "Your balance is fifty five dollars.",
        },
        {
            "caller": "can I talk to a person",
            "agent": "Connecting you now.",
            "tool_calls": [
                {
                    "name": "escalate_to_human",
                    "arguments": {"reason": "asked for a person", "summary": "balance question"},
                }
            ],
            "after_tools": "Please hold.",
        },
        {
            "caller": "goodbye",
            "agent": "Goodbye!",
            "tool_calls": [{"name": "end_call", "arguments": {"reason": "caller is done"}}],
            "after_tools": "Bye.",
        },
    ],
}
GREET = {"wait_for_agent": 10}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # The default agent answers on Realtime, the telecom agent (outbound calls) on Voice Live.
    # A Voice Live token costs a dollar here, so a record priced as Voice Live shows it plainly.
    settings = {
        "NO_ANSWER_SECONDS": "6",
        "RECORDING_ENABLED": "true",
        "AGENT_BACKENDS": "telecom=voice-live",
        "PRICE_VOICE_LIVE_PER_1K_INPUT_TOKENS": "1000",
        "PRICE_VOICE_LIVE_PER_1K_OUTPUT_TOKENS": "1000",
    }
    with scripted_stack(tmp_path_factory.mktemp("stack"), SCENARIO, extra_settings=settings) as running:
        yield running


def inbound(acs: httpx.Client, script: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    response = acs.post(
        "/simulator/calls/inbound", json={"from": "+14255550101", "to": "+18005550100", "script": script, **options}
    )
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def record_for(api: httpx.Client, server_call_id: str, deadline: float) -> dict[str, Any]:
    """The call record the function app made for the simulator's call (waits until it exists)."""
    while time.monotonic() < deadline:
        for record in api.get("/api/calls", params={"limit": 100}).json()["calls"]:
            if record["server_call_id"] == server_call_id:
                return record
        time.sleep(0.3)
    raise AssertionError("the function app made no record for the call")


def ended(api: httpx.Client, call_id: str, seconds: float = CALL_SECONDS) -> dict[str, Any]:
    """The call's detail once its record says ended."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        detail = api.get(f"/api/calls/{call_id}").json()
        if detail["record"]["status"] == "ended":
            return detail
        time.sleep(0.5)
    raise AssertionError(f"call {call_id} did not end: {api.get(f'/api/calls/{call_id}').json()['record']}")


def test_inbound_call_is_greeted_uses_a_tool_and_is_transferred_to_a_human(stack, acs, api) -> None:
    script = [
        GREET,
        {"say": "what is my balance"},
        {"wait_for_agent": 10},
        {"say": "can I talk to a person"},
        {"silence": 25},
    ]
    call = inbound(acs, script)
    record = record_for(api, call["server_call_id"], time.monotonic() + 20)
    detail = ended(api, record["call_id"])
    final = detail["record"]
    assert final["outcome"] == "transferred" and final["transfer_target"] == HUMAN_AGENT_NUMBER
    assert final["direction"] == "inbound" and final["agent"] == "default"
    assert final["duration_s"] > 0 and final["usage"]["total_tokens"] > 0 and final["estimated_cost"] > 0
    assert final["estimated_cost"] < 1  # priced as Realtime, the default agent's backend
    lines = [(line["role"], line["text"]) for line in detail["transcript"]]
    assert lines[0] == ("agent", f"{RECORDING_NOTICE} {PROFILES['default'].greeting}")
    assert final["recording_location"]  # the recording id, until ACS announces the file
    assert ("caller", "what is my balance") in lines
    assert any(role == "agent" and "fifty five" in text for role, text in lines)
    tools = {tool["name"]: tool for tool in detail["tool_calls"]}
    assert json.loads(tools["get_account_balance"]["output"])["balance"] == 55.0
    assert tools["escalate_to_human"]["ok"] is True
    operations = [op["operation"] for op in acs.get(f"/simulator/calls/{call['id']}").json()["operations"]]
    assert "answer" in operations[0].lower() and any("transfer" in op.lower() for op in operations)
    # After the call, RecordingFileStatusUpdated (Event Grid, like IncomingCall) puts the file's URL on the record.
    deadline = time.monotonic() + 20
    while not (
        location := api.get(f"/api/calls/{record['call_id']}").json()["record"]["recording_location"]
    ).startswith("http"):
        assert time.monotonic() < deadline, f"the recording file never reached the record ({location})"
        time.sleep(0.3)
    assert "/simulator/recordings/" in location and httpx.get(location, timeout=10).content[:4] == b"RIFF"


def test_rejected_transfer_returns_the_caller_to_the_agent(stack, acs, api) -> None:
    acs.post("/simulator/behaviours", json={"human_agent": {"kind": "busy"}})
    script = [
        GREET,
        {"say": "what is my balance"},
        {"wait_for_agent": 10},
        {"say": "can I talk to a person"},
        {"silence": 12},
        {"say": "goodbye"},
        {"silence": 20},
    ]
    call = inbound(acs, script)
    record = record_for(api, call["server_call_id"], time.monotonic() + 20)
    detail = ended(api, record["call_id"])
    assert detail["record"]["outcome"] == "completed"
    assert detail["record"]["reason"] == "caller is done"
    names = [tool["name"] for tool in detail["tool_calls"]]
    assert names == ["get_account_balance", "escalate_to_human", "end_call"]
    sim = acs.get(f"/simulator/calls/{call['id']}").json()
    assert "CallTransferFailed" in sim["events_sent"]


def test_redelivered_incoming_call_is_answered_once(stack, acs, api) -> None:
    call = inbound(acs, [GREET, {"hangup": True}], deliver_twice=True)
    record = record_for(api, call["server_call_id"], time.monotonic() + 20)
    ended(api, record["call_id"])
    sim = acs.get(f"/simulator/calls/{call['id']}").json()
    assert len(sim["event_grid_attempts"]) >= 2
    answers = [op for op in sim["operations"] if "answer" in op["operation"].lower()]
    assert len(answers) == 1
    matching = [
        r
        for r in api.get("/api/calls", params={"limit": 100}).json()["calls"]
        if r["server_call_id"] == call["server_call_id"]
    ]
    assert len(matching) == 1


def place(api: httpx.Client, stack: Stack, number: str) -> str:
    response = api.post("/api/call", json={"number": number, "agent": "telecom", "context": {"purpose": "test"}})
    assert response.status_code == 202, response.text
    return str(response.json()["call_id"])


@pytest.mark.parametrize(
    ("behaviour", "outcome"),
    [({"kind": "no_answer", "seconds": 30}, "no_answer"), ({"kind": "busy"}, "busy"), ({"kind": "decline"}, "failed")],
)
def test_outbound_call_that_does_not_connect_records_why(stack, acs, api, behaviour, outcome) -> None:
    number = "+14255550177"
    acs.post("/simulator/behaviours", json={number: behaviour})
    detail = ended(api, place(api, stack, number), 60)
    assert detail["record"]["outcome"] == outcome
    assert detail["record"]["direction"] == "outbound" and detail["record"]["answered_at"] == ""


def test_outbound_call_answered_talks_and_ends(stack, acs, api) -> None:
    """On Voice Live (the telecom agent's backend here): greeting, a tool, the caller hangs up, usage priced."""
    number = "+14255550188"
    acs.post(
        "/simulator/behaviours",
        json={
            number: {
                "kind": "answer",
                "script": [GREET, {"say": "what is my balance"}, {"wait_for_agent": 10}, {"hangup": True}],
            }
        },
    )
    detail = ended(api, place(api, stack, number))
    assert detail["record"]["outcome"] == "completed" and detail["record"]["reason"] == "caller_hung_up"
    assert detail["record"]["context"] == {"purpose": "test"} and detail["record"]["agent"] == "telecom"
    assert [t["name"] for t in detail["tool_calls"]] == ["get_account_balance"]
    usage = detail["record"]["usage"]
    assert usage["total_tokens"] > 0 and detail["record"]["estimated_cost"] >= usage["total_tokens"]  # Voice Live
    assert any(line["role"] == "agent" and "fifty five" in line["text"] for line in detail["transcript"])


def test_outbound_call_rejects_a_number_that_is_not_e164(api) -> None:
    response = api.post("/api/call", json={"number": "555-0100"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_number"


def _callback_url(stack: Stack, call_id: str) -> str:
    """The callback URL the function app gave ACS for `call_id` (the simulator never shows tokens)."""
    acs = SimpleNamespace(call_token_secret=stack.keys["call_token_secret"], call_token_ttl_seconds=600)
    return f"{stack.api_url}/api/callbacks/{call_id}?token={issue_token(acs, call_id, CALLBACK_AUDIENCE)}"  # type: ignore[arg-type]


def _cloud_event(kind: str, event_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": event_id,
            "source": "calling/callConnections/x",
            "specversion": "1.0",
            "type": f"Microsoft.Communication.{kind}",
            "data": {"resultInformation": {"code": 200}},
        }
    ]


def test_callbacks_with_forged_expired_or_wrong_audience_tokens_are_rejected(stack, acs, api) -> None:
    call = inbound(acs, [GREET, {"wait_for_agent": 5}, {"hangup": True}])
    record = record_for(api, call["server_call_id"], time.monotonic() + 20)
    url = _callback_url(stack, record["call_id"])
    wrong_audience = acs.post("/simulator/tokens", json={"audience": "someone-else"}).json()["token"]
    expired = acs.post("/simulator/tokens", json={"lifetime_seconds": -60}).json()["token"]
    forged = wrong_audience[:-6] + ("AAAAAA" if not wrong_audience.endswith("AAAAAA") else "BBBBBB")
    for token in (wrong_audience, expired, forged, "not-a-jwt"):
        response = httpx.post(
            url,
            json=_cloud_event("CallDisconnected", f"evil-{token[-4:]}"),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401, token
    no_url_token = url.split("?")[0]
    good = acs.post("/simulator/tokens", json={}).json()["token"]
    assert (
        httpx.post(
            no_url_token, json=_cloud_event("CallDisconnected", "x1"), headers={"Authorization": f"Bearer {good}"}
        ).status_code
        == 401
    )
    assert ended(api, record["call_id"])["record"]["outcome"] == "completed"


def test_duplicate_and_late_callbacks_do_not_change_a_finished_call(stack, acs, api) -> None:
    call = inbound(acs, [GREET, {"hangup": True}])
    record = record_for(api, call["server_call_id"], time.monotonic() + 20)
    first = ended(api, record["call_id"])["record"]
    url = _callback_url(stack, record["call_id"])
    token = acs.post("/simulator/tokens", json={}).json()["token"]
    replayed = acs.post(f"/simulator/calls/{call['id']}/callbacks/replay", json={"index": 0})
    assert replayed.status_code in (200, 202)
    late = httpx.post(
        url, json=_cloud_event("CallConnected", "late-connected"), headers={"Authorization": f"Bearer {token}"}
    )
    assert late.status_code == 200
    assert api.get(f"/api/calls/{record['call_id']}").json()["record"] == first


def test_disconnect_before_connect_ends_a_ringing_call_and_later_events_are_ignored(stack, acs, api) -> None:
    number = "+14255550199"
    acs.post("/simulator/behaviours", json={number: {"kind": "no_answer", "seconds": 30}})
    call_id = place(api, stack, number)
    deadline = time.monotonic() + 20
    sim_call = None
    while sim_call is None and time.monotonic() < deadline:
        calls = acs.get("/simulator/calls").json()["calls"]
        sim_call = next((c for c in calls if c["far_end"] == number and c["state"] == "connecting"), None)
        time.sleep(0.2)
    assert sim_call is not None
    url = _callback_url(stack, call_id)
    token = acs.post("/simulator/tokens", json={}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(url, json=_cloud_event("CallDisconnected", "ooo-1"), headers=headers).status_code == 200
    assert httpx.post(url, json=_cloud_event("CallConnected", "ooo-2"), headers=headers).status_code == 200
    record = ended(api, call_id, 30)["record"]
    assert record["outcome"] == "failed" and record["reason"] == "CallDisconnected"
    assert record["answered_at"] == ""


def test_function_app_restart_mid_call_resumes_the_orchestration(stack, acs, api, tmp_path: Path) -> None:
    import os
    import signal

    host = next(s for s in stack.services if s.name == "function app")
    call = inbound(
        acs, [GREET, {"silence": 8}, {"say": "what is my balance"}, {"wait_for_agent": 10}, {"hangup": True}]
    )
    record = record_for(api, call["server_call_id"], time.monotonic() + 20)
    deadline = time.monotonic() + 20
    while api.get(f"/api/calls/{record['call_id']}").json()["record"]["status"] != "connected":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert host.process is not None
    os.kill(host.process.pid, signal.SIGKILL)
    host.process.wait(timeout=10)
    host.launch(tmp_path / "host.log")
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(host.ready_url, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "function app did not come back"
        time.sleep(0.2)
    detail = ended(api, record["call_id"])
    assert detail["record"]["outcome"] == "completed"
    assert "get_account_balance" in [t["name"] for t in detail["tool_calls"]]

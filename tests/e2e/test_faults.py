"""Fault injection through the whole local stack: real processes on loopback, one fault per test.

Each test breaks one piece while calls are live -- the model session, the function app, Table
Storage (Azurite), ACS callback delivery, the bridge (SIGTERM with 20 calls) -- and checks three
things: what the caller heard (the ACS simulator's recording, matched against the transcript with
the tone voice's 60 ms per character), what was recorded (the call record, transcript and tool
calls), and that nothing was lost. Callback redelivery after a call ended and a host crash mid-call
are covered in test_phone_calls.py.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from callcenter.agents.profiles import PROFILES
from devstack.run import HUMAN_AGENT_NUMBER, Stack
from tests.e2e.heard import heard_seconds, spoken_seconds
from tests.e2e.test_phone_calls import _callback_url, _cloud_event, ended, inbound, record_for
from tests.support.stack import scripted_stack

GREETING = PROFILES["default"].greeting  # the bridge asks for the agent's own greeting, quoted
RESUMED = "Sorry, the line dropped. Where were we?"  # what the scripted model says when asked to carry on
BALANCE = "Your balance is fifty five dollars."
SCENARIO = {
    "greeting": RESUMED,
    "turns": [
        {
            "caller": "what is my balance",
            "agent": "Let me check.",
            "tool_calls": [{"name": "get_account_balance", "arguments": {"account_id": "ACC-1001"}}],
            "after_tools": BALANCE,
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
DRAIN_SECONDS = 4


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with scripted_stack(
        tmp_path_factory.mktemp("faults"),
        SCENARIO,
        persist=True,  # Azurite is stopped and restarted mid-test: its data must survive
        extra_settings={"NO_ANSWER_SECONDS": "6"},
        bridge_settings={"BRIDGE_DRAIN_SECONDS": str(DRAIN_SECONDS), "BRIDGE_EVENT_FLUSH_SECONDS": "1"},
    ) as running:
        yield running


@pytest.fixture
def model(stack: Stack) -> Iterator[httpx.Client]:
    """The Realtime simulator's fault switches (reset after each test)."""
    headers = {"api-key": stack.keys["openai_key"]}
    with httpx.Client(base_url=stack.realtime_url, headers=headers, timeout=10) as client:
        yield client
        client.post("/simulator/faults", json={"refuse_connections": False})


# --- observing the stack ------------------------------------------------------------------------


def detail(api: httpx.Client, call_id: str) -> dict[str, Any]:
    return api.get(f"/api/calls/{call_id}").json()


def wait_until(what: str, check: Any, seconds: float = 30.0) -> Any:
    """Poll `check()` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def agent_lines(call: dict[str, Any]) -> list[str]:
    return [line["text"] for line in call["transcript"] if line["role"] == "agent"]


def caller_lines(call: dict[str, Any]) -> list[str]:
    return [line["text"] for line in call["transcript"] if line["role"] == "caller"]


def bridge_metric(stack: Stack, name: str) -> float:
    text = httpx.get(f"{stack.bridge_url}/metrics", timeout=5).text
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def simulator_call(acs: httpx.Client, sim_id: str) -> dict[str, Any]:
    return acs.get(f"/simulator/calls/{sim_id}").json()


def finished_simulator_call(acs: httpx.Client, sim_id: str) -> dict[str, Any]:
    """The simulator's view once its recording of what the caller heard is written."""
    return wait_until(
        "the caller's recording", lambda: (c := simulator_call(acs, sim_id))["recording"]["heard_wav"] and c
    )


def assert_caller_heard_the_transcript(sim: dict[str, Any], lines: list[str]) -> None:
    """Every agent line in the record reached the caller's ear, in full, and nothing else did."""
    heard = heard_seconds(sim["recording"]["heard_wav"])
    expected = spoken_seconds(lines)
    assert abs(heard - expected) <= 0.04 * len(lines) + 0.04, (heard, expected, lines)


def connected_call(acs: httpx.Client, api: httpx.Client, script: list[dict[str, Any]]) -> tuple[str, str]:
    """(simulator id, call id) of a new inbound call, once the caller has heard the whole greeting.

    `script` must start with GREET: the handset finishes that step when the agent has gone quiet.
    """
    sim = inbound(acs, script)
    record = record_for(api, sim["server_call_id"], time.monotonic() + 20)
    wait_until("the greeting", lambda: GREETING in agent_lines(detail(api, record["call_id"])))
    wait_until(
        "the caller to hear it", lambda: (simulator_call(acs, sim["id"])["handset_stats"] or {}).get("steps_done")
    )
    return sim["id"], record["call_id"]


# --- the model ----------------------------------------------------------------------------------


def test_model_session_dropped_mid_call_is_restored_and_the_caller_hears_the_agent_again(
    stack, acs, api, model
) -> None:
    reconnects = bridge_metric(stack, "bridge_model_reconnects_total")
    script = [GREET, {"silence": 6}, {"say": "what is my balance"}, {"wait_for_agent": 10}]
    script += [{"say": "goodbye"}, {"wait_for_agent": 10}, {"silence": 10}]
    sim_id, call_id = connected_call(acs, api, script)
    dropped = model.post("/simulator/faults", json={"drop_sessions": True, "code": 1011}).json()
    assert dropped["dropped"] == 1
    call = ended(api, call_id)
    assert call["record"]["outcome"] == "completed" and call["record"]["reason"] == "caller is done"
    assert bridge_metric(stack, "bridge_model_reconnects_total") == reconnects + 1
    # The new session gets the conversation so far and is asked to carry on: the caller hears it.
    lines = agent_lines(call)
    assert lines == [GREETING, RESUMED, "Let me check.", BALANCE, "Goodbye!", "Bye."]
    assert caller_lines(call) == ["what is my balance", "goodbye"]
    assert [(t["name"], t["ok"]) for t in call["tool_calls"]] == [("get_account_balance", True), ("end_call", True)]
    assert_caller_heard_the_transcript(finished_simulator_call(acs, sim_id), lines)


def test_model_that_cannot_be_reached_again_hands_the_caller_to_a_human(stack, acs, api, model) -> None:
    sim_id, call_id = connected_call(acs, api, [GREET, {"silence": 30}])
    model.post("/simulator/faults", json={"refuse_connections": True, "drop_sessions": True})
    call = ended(api, call_id)
    assert call["record"]["outcome"] == "transferred"
    assert call["record"]["transfer_target"] == HUMAN_AGENT_NUMBER
    assert "reconnect failed" in call["record"]["reason"]
    assert agent_lines(call) == [GREETING]
    sim = finished_simulator_call(acs, sim_id)
    assert sim["transfer_target"] == HUMAN_AGENT_NUMBER and "CallTransferAccepted" in sim["events_sent"]
    assert_caller_heard_the_transcript(sim, [GREETING])


# --- the function app ---------------------------------------------------------------------------


def test_function_app_unreachable_for_ten_seconds_mid_call_loses_nothing(stack, acs, api) -> None:
    host = stack.service("function app")
    script = [GREET, {"silence": 1}, {"say": "what is my balance"}, {"wait_for_agent": 10}]
    script += [{"silence": 14}, {"say": "goodbye"}, {"wait_for_agent": 10}, {"silence": 10}]
    sim_id, call_id = connected_call(acs, api, script)
    host.halt(signal.SIGKILL)
    down_at = time.monotonic()
    # While it is down the caller asks for a tool: the model is told the tool is unavailable and
    # answers (the scripted model reads the same line either way), so the caller hears a reply.
    wait_until("the reply during the outage", lambda: simulator_call(acs, sim_id)["handset_stats"]["steps_done"] >= 4)
    time.sleep(max(0.0, 10.0 - (time.monotonic() - down_at)))
    host.restart()
    call = ended(api, call_id)
    assert call["record"]["outcome"] == "completed" and call["record"]["reason"] == "caller is done"
    # Transcript lines and the tool call made during the outage were held by the bridge and delivered.
    lines = agent_lines(call)
    assert lines == [GREETING, "Let me check.", BALANCE, "Goodbye!", "Bye."]
    assert caller_lines(call) == ["what is my balance", "goodbye"]
    tools = call["tool_calls"]
    assert [(t["name"], t["ok"]) for t in tools] == [("get_account_balance", False), ("end_call", True)]
    assert json.loads(tools[0]["output"])["error"]["code"] == "tool_unavailable"
    assert_caller_heard_the_transcript(finished_simulator_call(acs, sim_id), lines)


# --- Table Storage ------------------------------------------------------------------------------


def test_table_storage_down_when_a_call_ends_the_record_still_gets_every_event(stack, acs, api) -> None:
    azurite = stack.service("azurite")
    tools_ok = 'bridge_tool_calls_total{outcome="ok"}'
    before = bridge_metric(stack, tools_ok)
    script = [GREET, {"say": "what is my balance"}, {"wait_for_agent": 10}, {"say": "goodbye"}, {"silence": 20}]
    sim_id, call_id = connected_call(acs, api, script)
    wait_until("end_call", lambda: bridge_metric(stack, tools_ok) >= before + 2)
    azurite.halt()  # within the agent's goodbye: the hang-up, the last events and the record all follow
    wait_until("the hang-up", lambda: simulator_call(acs, sim_id)["state"] == "disconnected")
    time.sleep(4)  # the bridge's last batch is refused (500) and retried meanwhile
    azurite.restart()
    call = ended(api, call_id, 120)
    record = call["record"]
    assert record["outcome"] == "completed" and record["reason"] == "caller is done"
    # The record waited for the bridge's last batch, so its totals count everything.
    assert record["tool_calls"] == 2 and record["usage"]["total_tokens"] > 0
    lines = agent_lines(call)
    assert lines == [GREETING, "Let me check.", BALANCE, "Goodbye!", "Bye."]  # "Bye." was said during the outage
    assert caller_lines(call) == ["what is my balance", "goodbye"]
    assert_caller_heard_the_transcript(finished_simulator_call(acs, sim_id), lines)


def test_table_storage_down_when_a_record_is_written_the_write_is_retried(stack, acs, api) -> None:
    azurite = stack.service("azurite")
    number = "+14255550166"
    acs.post("/simulator/behaviours", json={number: {"kind": "no_answer", "seconds": 60}})
    response = api.post("/api/call", json={"number": number, "agent": "telecom"})
    assert response.status_code == 202, response.text
    call_id = response.json()["call_id"]
    wait_until("the placed call", lambda: detail(api, call_id)["record"]["call_connection_id"])
    azurite.halt()  # the ring timer (6 s) fires while storage is down: hang up, then write the record
    wait_until(
        "the hang-up",
        lambda: any(
            c["far_end"] == number and c["state"] == "disconnected" for c in acs.get("/simulator/calls").json()["calls"]
        ),
    )
    status_url = f"{stack.api_url}/runtime/webhooks/durabletask/instances/{call_id}"

    def finalize_attempts(kind: str) -> int:
        history = httpx.get(status_url, params={"showHistory": "true"}).json()["historyEvents"]
        return sum(1 for e in history if e["EventType"] == kind and e.get("FunctionName") == "finalize_call")

    wait_until("a failed finalize_call", lambda: finalize_attempts("TaskFailed"), 60)
    azurite.restart()
    record = ended(api, call_id, 90)["record"]
    assert record["outcome"] == "no_answer" and record["reason"] == "not answered"
    assert finalize_attempts("TaskCompleted") == 1


# --- ACS callbacks ------------------------------------------------------------------------------


def test_duplicate_stale_and_out_of_order_callbacks_during_a_live_call_change_nothing(stack, acs, api) -> None:
    script = [GREET, {"silence": 4}, {"say": "what is my balance"}, {"wait_for_agent": 10}, {"hangup": True}]
    sim_id, call_id = connected_call(acs, api, script)
    answered_at = detail(api, call_id)["record"]["answered_at"]
    url = _callback_url(stack, call_id)
    headers = {"Authorization": f"Bearer {acs.post('/simulator/tokens', json={}).json()['token']}"}
    sent = simulator_call(acs, sim_id)["events"]
    assert [e["type"].rsplit(".", 1)[1] for e in sent][:2] == ["CallConnected", "MediaStreamingStarted"]
    for event in sent:  # delivered twice: same event ids, the app raises none of them again
        answer = httpx.post(url, json=[event], headers=headers).json()
        assert answer == {"received": 1, "raised": 0}
    for index in range(len(sent)):  # and again through the simulator's own redelivery
        assert acs.post(f"/simulator/calls/{sim_id}/callbacks/replay", json={"index": index}).status_code in (200, 202)
    # Out of order and stale: a transfer outcome with no transfer, a second CallConnected.
    for kind in ("CallTransferAccepted", "CallTransferFailed", "CallConnected", "PlayCompleted"):
        answer = httpx.post(url, json=_cloud_event(kind, f"stale-{kind}"), headers=headers).json()
        assert answer == {"received": 1, "raised": 1}
    call = ended(api, call_id)
    record = call["record"]
    assert record["outcome"] == "completed" and record["reason"] == "caller_hung_up"
    assert record["answered_at"] == answered_at and record["transfer_target"] == ""
    assert [(t["name"], t["ok"]) for t in call["tool_calls"]] == [("get_account_balance", True)]
    sim = finished_simulator_call(acs, sim_id)
    assert not any("transfer" in op["operation"].lower() for op in sim["operations"])
    assert_caller_heard_the_transcript(sim, agent_lines(call))


# --- the bridge ---------------------------------------------------------------------------------


def test_bridge_sigterm_with_twenty_live_calls_drains_every_call_cleanly(stack, acs, api) -> None:
    bridge = stack.service("bridge")
    assert bridge.process is not None
    sims = [inbound(acs, [GREET, {"silence": 120}]) for _ in range(20)]
    calls = [record_for(api, sim["server_call_id"], time.monotonic() + 30)["call_id"] for sim in sims]
    for sim in sims:
        wait_until("every caller to hear the greeting", lambda s=sim: simulator_call(acs, s["id"])["handset_stats"])
        wait_until("the greeting", lambda s=sim: simulator_call(acs, s["id"])["handset_stats"]["steps_done"], 60)
    assert bridge_metric(stack, "bridge_active_calls") == 20
    bridge.process.send_signal(signal.SIGTERM)
    # Half the callers hang up within the drain window: their calls end as usual.
    for sim in sims[:10]:
        acs.post(f"/simulator/calls/{sim['id']}/hangup")
    assert bridge.process.wait(timeout=DRAIN_SECONDS + 30) == 0
    try:
        finished = [ended(api, call_id, 60) for call_id in calls]
        reasons = [call["record"]["reason"] for call in finished]
        assert reasons == ["caller_hung_up"] * 10 + ["drain"] * 10
        for sim, call in zip(sims, finished, strict=True):
            assert call["record"]["outcome"] == "completed" and agent_lines(call) == [GREETING]
            state = finished_simulator_call(acs, sim["id"])
            assert state["state"] == "disconnected"
            assert_caller_heard_the_transcript(state, [GREETING])
    finally:
        bridge.restart()

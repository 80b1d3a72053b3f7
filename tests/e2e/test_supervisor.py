"""A supervisor watches a live phone call and acts on it, through the whole local stack.

Coaching travels function app -> bridge (a notice in the answer to its event batch) -> model (a
system message); the scripted simulator's agent follows it on its next turn. Transfer and end go
through the call's orchestration. Every action is logged on the record.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devstack.run import HUMAN_AGENT_NUMBER, Stack
from tests.e2e.test_phone_calls import ended, inbound, record_for
from tests.support.stack import scripted_stack

COACHED_LINE = "Before you go, I can offer you our loyalty discount of twenty percent."
SCENARIO = {
    "greeting": "Hello, thanks for calling Contoso.",
    "turns": [
        {"caller": "I want to cancel my plan", "agent": "I am sorry to hear that. May I ask why?"},
        {"caller": "it is too expensive", "agent": "I understand, I will note that down."},
    ],
    "coached": [{"when": "loyalty discount", "agent": COACHED_LINE}],
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with scripted_stack(tmp_path_factory.mktemp("stack"), SCENARIO) as running:
        yield running


def live_entry(api: httpx.Client, call_id: str, seconds: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        listed = {c["call_id"]: c for c in api.get("/api/live").json()["conversations"]}
        if call_id in listed:
            return listed[call_id]
        time.sleep(0.2)
    raise AssertionError(f"call {call_id} is not on the live list")


def follow(api: httpx.Client, call_id: str, until: str, seconds: float = 30.0) -> list[dict[str, Any]]:
    """Poll the live view with its cursor until an agent line containing `until` shows; all lines seen."""
    seen: list[dict[str, Any]] = []
    after = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = api.get(f"/api/live/{call_id}", params={"after": after}).json()
        seen += body["events"]
        after = body["next_after"]
        if any(e["type"] == "transcript" and e["role"] == "agent" and until in e["text"] for e in seen):
            return seen
        time.sleep(0.3)
    raise AssertionError(f"no agent line with {until!r} in the live view: {seen}")


def test_coaching_changes_the_agents_next_line_and_a_supervisor_ends_the_call(stack, acs, api) -> None:
    script = [{"wait_for_agent": 10}, {"say": "I want to cancel my plan"}, {"wait_for_agent": 10}, {"silence": 9}]
    script += [{"say": "it is too expensive"}, {"wait_for_agent": 10}, {"silence": 30}]
    call = inbound(acs, script)
    call_id = record_for(api, call["server_call_id"], time.monotonic() + 20)["call_id"]
    listed = live_entry(api, call_id)
    assert listed["channel"] == "phone" and listed["agent"] == "default"
    follow(api, call_id, "May I ask why")
    coached = api.post(f"/api/live/{call_id}/coach", json={"text": "Offer the loyalty discount."})
    assert coached.status_code == 202, coached.text
    lines = follow(api, call_id, "loyalty discount")
    agent_lines = [e["text"] for e in lines if e["type"] == "transcript" and e["role"] == "agent"]
    assert COACHED_LINE in agent_lines and "I understand, I will note that down." not in agent_lines
    assert not any("Guidance from your supervisor" in e.get("text", "") for e in lines)  # never spoken
    assert api.post(f"/api/live/{call_id}/end").status_code == 202
    detail = ended(api, call_id, 30)
    assert (detail["record"]["outcome"], detail["record"]["reason"]) == ("completed", "supervisor_end")
    actions = api.get(f"/api/live/{call_id}").json()["actions"]
    assert [(a["action"], a["by"]) for a in actions] == [("coach", "local"), ("end", "local")]
    assert actions[0]["text"] == "Offer the loyalty discount."
    assert call_id not in {c["call_id"] for c in api.get("/api/live").json()["conversations"]}
    assert api.post(f"/api/live/{call_id}/coach", json={"text": "too late"}).status_code == 409


def test_a_supervisor_transfers_a_live_call_to_the_human_agent(stack, acs, api) -> None:
    call = inbound(acs, [{"wait_for_agent": 10}, {"silence": 40}])
    call_id = record_for(api, call["server_call_id"], time.monotonic() + 20)["call_id"]
    follow(api, call_id, "Contoso")
    moved = api.post(f"/api/live/{call_id}/transfer")
    assert moved.status_code == 202, moved.text
    detail = ended(api, call_id, 60)
    assert detail["record"]["outcome"] == "transferred" and detail["record"]["transfer_target"] == HUMAN_AGENT_NUMBER
    assert detail["record"]["reason"] == "supervisor_transfer"
    operations = [op["operation"] for op in acs.get(f"/simulator/calls/{call['id']}").json()["operations"]]
    assert any("transfer" in op.lower() for op in operations)

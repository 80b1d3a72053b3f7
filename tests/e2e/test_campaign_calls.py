"""A campaign through the whole local stack: real `call_lifecycle` calls, callee behaviours in the ACS
simulator (a person, a voicemail greeting, busy, no answer), and the model detecting the machine."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from devstack.run import Stack
from tests.support.stack import scripted_stack

# Every call's first caller utterance is the voicemail greeting (the person in this test says nothing).
SCENARIO = {
    "turns": [
        {
            "caller": "you have reached the voicemail of Ana, leave a message after the tone",
            "agent": "",
            "tool_calls": [{"name": "voicemail_detected", "arguments": {"greeting": "voicemail of Ana"}}],
            "after_tools": "",
        }
    ]
}
PERSON, MACHINE, BUSY, SILENT = "+14255550301", "+14255550302", "+14255550303", "+14255550304"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data = tmp_path_factory.mktemp("campaign-stack")
    with scripted_stack(data, SCENARIO, extra_settings={"NO_ANSWER_SECONDS": "6"}) as running:
        yield running


def test_campaign_dials_everyone_once_and_records_each_outcome(stack: Stack) -> None:
    with httpx.Client(base_url=stack.acs_url, timeout=10) as acs:
        acs.post(
            "/simulator/behaviours",
            json={
                PERSON: {"kind": "answer", "script": [{"wait_for_agent": 10}, {"hangup": True}]},
                MACHINE: {"kind": "voicemail", "greeting": "You have reached the voicemail of Ana. Leave a message."},
                BUSY: {"kind": "busy"},
                SILENT: {"kind": "no_answer", "seconds": 60},
            },
        ).raise_for_status()
    body = {
        "name": "Appointment reminders",
        "agent": "outreach",
        "script": "Remind {name} of the appointment on Monday.",
        "calling_window": {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "00:00",
            "end": "23:59",
            "time_zone": "UTC",
        },
        "pacing": {"max_concurrent": 4, "max_calls_per_minute": 60},
        "attempts": {"max_per_contact": 1},
        "voicemail_policy": "hang_up",
        "contacts": [
            {"phone": number, "name": name}
            for number, name in ((PERSON, "Maria"), (MACHINE, "Ana"), (BUSY, "James"), (SILENT, "Lars"))
        ],
    }
    with httpx.Client(base_url=stack.api_url, timeout=10) as api:
        created = api.post("/api/campaigns", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["accepted"] == 4 and created.json()["rejected"] == []
        campaign_id = created.json()["campaign"]["id"]
        deadline = time.monotonic() + 120
        while True:
            campaign = api.get(f"/api/campaigns/{campaign_id}").json()["campaign"]
            if campaign["status"] == "completed":
                break
            assert time.monotonic() < deadline, campaign
            time.sleep(1)
        counters = campaign["counters"]
        assert {k: v for k, v in counters.items() if v} == {"completed": 1, "voicemail": 1, "busy": 1, "no_answer": 1}
        contacts = {c["phone"]: c for c in api.get(f"/api/campaigns/{campaign_id}/contacts").json()["contacts"]}
        assert all(c["attempts"] == 1 for c in contacts.values())
        machine_call = api.get(f"/api/calls/{contacts[MACHINE]['call_id']}").json()
        assert machine_call["record"]["outcome"] == "voicemail"
        assert [t["name"] for t in machine_call["tool_calls"]] == ["voicemail_detected"]
        person_call = api.get(f"/api/calls/{contacts[PERSON]['call_id']}").json()["record"]
        assert person_call["context"]["name"] == "Maria" and person_call["agent"] == "outreach"


def test_function_app_killed_mid_campaign_resumes_without_dialling_anyone_twice(stack: Stack) -> None:
    numbers = [f"+1425555040{i}" for i in range(6)]
    talk = {"kind": "answer", "script": [{"silence": 5}, {"hangup": True}]}
    with httpx.Client(base_url=stack.acs_url, timeout=10) as acs:
        acs.post("/simulator/behaviours", json=dict.fromkeys(numbers, talk)).raise_for_status()
    body = {
        "name": "Restart",
        "agent": "outreach",
        "script": "Say hello to {name}.",
        "calling_window": {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "00:00",
            "end": "23:59",
            "time_zone": "UTC",
        },
        "pacing": {"max_concurrent": 2, "max_calls_per_minute": 60},
        "attempts": {"max_per_contact": 1},
        "contacts": [{"phone": number, "name": f"Contact {i}"} for i, number in enumerate(numbers)],
    }
    host = next(s for s in stack.services if s.name == "function app")
    with httpx.Client(base_url=stack.api_url, timeout=10) as api:
        created = api.post("/api/campaigns", json=body)
        assert created.status_code == 201, created.text
        campaign_id = created.json()["campaign"]["id"]
        deadline = time.monotonic() + 30
        while api.get(f"/api/campaigns/{campaign_id}").json()["campaign"]["counters"].get("in_progress", 0) == 0:
            assert time.monotonic() < deadline
            time.sleep(0.3)
        host.halt(signal.SIGKILL)  # mid-campaign, with calls in flight
        host.restart()
        deadline = time.monotonic() + 180
        while (campaign := api.get(f"/api/campaigns/{campaign_id}").json()["campaign"])["status"] != "completed":
            assert time.monotonic() < deadline, campaign
            time.sleep(1)
        # A call in flight during the outage may end another way; what matters is that every contact
        # was finished and none was left pending or dialled twice.
        counters = campaign["counters"]
        assert counters.get("pending", 0) == 0 and counters.get("in_progress", 0) == 0
        assert sum(counters.values()) == 6
        contacts = api.get(f"/api/campaigns/{campaign_id}/contacts").json()["contacts"]
        assert sorted(c["attempts"] for c in contacts) == [1] * 6
    with httpx.Client(base_url=stack.acs_url, timeout=10) as acs:
        dialled = [c["far_end"] for c in acs.get("/simulator/calls").json()["calls"] if c["far_end"] in numbers]
    assert sorted(dialled) == sorted(numbers)  # each contact dialled exactly once

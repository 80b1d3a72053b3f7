"""The bridge's internal API through the real host and Azurite: handoffs keep the call's context,
notices are handed over once, control events reach the call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from callcenter.calls import NoticeType
from callcenter.config import load_settings
from callcenter.store import calls as store
from tests.conftest import FUNCTION_KEY
from tests.support.azurite import run_azurite

KEY = {"x-functions-key": FUNCTION_KEY}
FACTS = {"goal": "Remind Ann that plan Gold renews soon.", "customer_name": "Ann"}


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


def claim(tables: str, call_id: str, agent: str, context: dict[str, str]) -> None:
    record = store.CallRecord(call_id=call_id, direction="outbound", agent=agent, context=context)
    asyncio.run(store.claim_call(load_settings({"CALLCENTER_TABLES_CONNECTION": tables}), record))


def test_a_phone_handoff_keeps_the_calls_context_and_voice(function_host, tables) -> None:
    claim(tables, "handoff-1", "outreach", FACTS)
    with function_host(CALLCENTER_TABLES_CONNECTION=tables) as base, httpx.Client(base_url=base, timeout=10) as api:
        first = api.get("/api/internal/calls/handoff-1/agent", headers=KEY).json()
        handed = api.post(
            "/api/internal/calls/handoff-1/function-call",
            json={"name": "handoff_to_agent", "call_id": "fc-1", "arguments": {"agent": "default", "reason": "a bill"}},
            headers=KEY,
        )
        after = api.get("/api/calls/handoff-1").json()["record"]
    assert handed.status_code == 200, handed.text
    body = handed.json()
    assert body["agent"] == "default" and body["ok"] is True
    for line in ("- goal: Remind Ann that plan Gold renews soon.", "- customer_name: Ann"):
        assert line in first["session"]["instructions"] and line in body["session"]["instructions"]
    assert "voice" in first["session"]["audio"]["output"] and "voice" not in body["session"]["audio"]["output"]
    assert after["agent"] == "default"


def test_a_web_handoff_has_no_voice_either(function_host, tables) -> None:
    with function_host(CALLCENTER_TABLES_CONNECTION=tables) as base, httpx.Client(base_url=base, timeout=10) as api:
        handed = api.post(
            "/api/function-call",
            json={"name": "handoff_to_agent", "call_id": "w1", "arguments": {"agent": "retail", "reason": "order"}},
        )
    assert handed.status_code == 200, handed.text
    assert handed.json()["agent"] == "retail" and "voice" not in handed.json()["session"]["audio"]["output"]


def test_notices_are_handed_to_the_bridge_once_and_in_order(function_host, tables) -> None:
    claim(tables, "notice-1", "default", {})
    settings = load_settings({"CALLCENTER_TABLES_CONNECTION": tables})
    for message in ("first", "second"):
        notice = {"type": NoticeType.TRANSFER_FAILED, "message": message}
        asyncio.run(store.add_notice(settings, "notice-1", notice))
    with function_host(CALLCENTER_TABLES_CONNECTION=tables) as base, httpx.Client(base_url=base, timeout=10) as api:
        batch = {"events": [{"type": "transcript", "role": "agent", "text": "hello", "ts": "1", "seq": 1}]}
        first = api.post("/api/internal/calls/notice-1/events", json=batch, headers=KEY)
        again = api.post("/api/internal/calls/notice-1/events", json={"events": []}, headers=KEY)
    assert first.status_code == 202, first.text
    assert first.json() == {
        "stored": 1,
        "notices": [{"type": "transfer_failed", "message": "first"}, {"type": "transfer_failed", "message": "second"}],
    }
    assert again.json() == {"stored": 0, "notices": []}

"""`REDACT_TRANSCRIPTS`: the bridge's events are stored redacted, through the real internal API and Azurite."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from callcenter.config import load_settings
from callcenter.redaction import CARD, EMAIL, PHONE, REDACTED
from callcenter.store import calls as store
from tests.conftest import FUNCTION_KEY
from tests.support.azurite import run_azurite

EVENTS = [
    {
        "type": "transcript",
        "role": "caller",
        "text": "my card is four one one one, " + "one one one one, " * 3,
        "ts": "1",
    },
    {"type": "transcript", "role": "caller", "text": "call me on +1 425 555 0101 or ana@contoso.com", "ts": "2"},
    {
        "type": "tool_call",
        "name": "lookup",
        "arguments": {"phone": "4255550101"},
        "output": "{}",
        "ok": True,
        "ts": "3",
    },
    {"type": "dtmf", "digit": "7", "ts": "4"},
]


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


def post_events_and_read_back(base: str, tables: str, call_id: str) -> dict:
    record = store.CallRecord(call_id=call_id, direction="inbound", agent="default", started_at=store.now_iso())
    asyncio.run(store.claim_call(load_settings({"CALLCENTER_TABLES_CONNECTION": tables}), record))
    with httpx.Client(base_url=base, timeout=10) as client:
        posted = client.post(
            f"/api/internal/calls/{call_id}/events",
            json={"events": EVENTS},
            headers={"x-functions-key": FUNCTION_KEY},
        )
        assert posted.status_code == 202, posted.text
        detail = client.get(f"/api/calls/{call_id}")
        assert detail.status_code == 200, detail.text
        return detail.json()


def test_transcripts_tool_calls_and_key_presses_are_stored_redacted_when_enabled(function_host, tables) -> None:
    with function_host(CALLCENTER_TABLES_CONNECTION=tables, REDACT_TRANSCRIPTS="true") as base:
        detail = post_events_and_read_back(base, tables, "redact-on")
    texts = [line["text"] for line in detail["transcript"]]
    assert texts == [f"my card is {CARD}, ", f"call me on {PHONE} or {EMAIL}"]
    assert detail["tool_calls"][0]["arguments"] == {"phone": PHONE}
    assert "4255550101" not in str(detail) and "contoso" not in str(detail)
    stored = asyncio.run(store.call_events(load_settings({"CALLCENTER_TABLES_CONNECTION": tables}), "redact-on"))
    assert [e["digit"] for e in stored if e["type"] == "dtmf"] == [REDACTED]


def test_transcripts_are_stored_verbatim_by_default(function_host, tables) -> None:
    with function_host(CALLCENTER_TABLES_CONNECTION=tables) as base:
        detail = post_events_and_read_back(base, tables, "redact-off")
    assert detail["transcript"][1]["text"] == EVENTS[1]["text"]
    assert detail["tool_calls"][0]["arguments"] == {"phone": "4255550101"}

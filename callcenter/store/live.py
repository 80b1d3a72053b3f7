"""The conversations happening now (both channels): a small index the live view lists without scanning records.

Table `liveconversations`, one partition (`live`), a row per conversation under way: agent, channel,
start, the time of its last batch of events, the last event number (`seq`) stored and its last
few transcript lines. Every event batch merges into its row (one write, no read); the row is
deleted when the record is finalised. At a few hundred concurrent conversations one partition is
far below Table Storage's 2,000 operations per second per partition.
"""

from __future__ import annotations

import json
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from callcenter.calls import CallStatus
from callcenter.config import Settings
from callcenter.store.calls import CallRecord, now_iso
from callcenter.store.tables import table

LIVE = "liveconversations"
PARTITION = "live"
LAST_LINES = 3


async def mark_live(settings: Settings, record: CallRecord) -> None:
    """List the conversation as under way (again: a repeat only refreshes the row)."""
    from azure.data.tables import UpdateMode

    entity = {
        "PartitionKey": PARTITION,
        "RowKey": record.call_id,
        "agent": record.agent,
        "channel": record.channel,
        "direction": record.direction,
        "started_at": record.answered_at or record.started_at,
        "last_event_at": now_iso(),
    }
    async with table(settings, LIVE) as live:
        await live.upsert_entity(entity, mode=UpdateMode.MERGE)


async def touch_live(settings: Settings, record: CallRecord, events: list[dict[str, Any]]) -> None:
    """Note a batch of events: its time, its last `seq` and the newest transcript lines."""
    from azure.data.tables import UpdateMode

    entity: dict[str, Any] = {
        "PartitionKey": PARTITION,
        "RowKey": record.call_id,
        "agent": record.agent,
        "channel": record.channel,
        "direction": record.direction,
        "started_at": record.answered_at or record.started_at,
        "last_event_at": now_iso(),
    }
    lines = [
        {"role": e.get("role"), "text": e.get("text")}
        for e in events
        if e.get("type") == "transcript" and e.get("text")
    ]
    if lines:
        entity["last_lines"] = json.dumps(lines[-LAST_LINES:])
    seqs = [e["seq"] for e in events if isinstance(e.get("seq"), int)]
    if seqs:
        entity["last_seq"] = max(seqs)
    async with table(settings, LIVE) as live:
        await live.upsert_entity(entity, mode=UpdateMode.MERGE)


async def note_live_batch(settings: Settings, record: CallRecord, events: list[dict[str, Any]]) -> None:
    """A phone call's batch from the bridge: keep it listed until its last batch (media_ended)."""
    if record.status == CallStatus.ENDED or any(e.get("type") == "media_ended" for e in events):
        await end_live(settings, record.call_id)
        return
    await touch_live(settings, record, events)


async def end_live(settings: Settings, call_id: str) -> None:
    """The conversation ended: off the live list (idempotent)."""
    async with table(settings, LIVE) as live:
        await live.delete_entity(PARTITION, call_id)


async def live_entry(settings: Settings, call_id: str) -> dict[str, Any] | None:
    async with table(settings, LIVE) as live:
        try:
            return _view(await live.get_entity(PARTITION, call_id))
        except ResourceNotFoundError:
            return None


async def list_live(settings: Settings, limit: int = 500) -> list[dict[str, Any]]:
    """Conversations under way, oldest first."""
    found: list[dict[str, Any]] = []
    async with table(settings, LIVE) as live:
        async for entity in live.query_entities(f"PartitionKey eq '{PARTITION}'", results_per_page=limit):
            found.append(_view(entity))
            if len(found) >= limit:
                break
    return sorted(found, key=lambda entry: str(entry["started_at"]))


def _view(entity: Any) -> dict[str, Any]:
    return {
        "call_id": entity["RowKey"],
        "agent": entity.get("agent", ""),
        "channel": entity.get("channel", "phone"),
        "direction": entity.get("direction", ""),
        "started_at": entity.get("started_at", ""),
        "last_event_at": entity.get("last_event_at", ""),
        "last_seq": int(entity.get("last_seq") or 0),
        "last_lines": json.loads(entity.get("last_lines") or "[]"),
    }

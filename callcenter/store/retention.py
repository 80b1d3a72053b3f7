"""Deleting call data past its retention: the record, its events, its callback ids and queued notices.

A call is expired when it started before the cutoff. Its record goes last, so a purge cut short
(a timeout, a restart) leaves the record to find and finish on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callcenter.config import Settings
from callcenter.store.calls import NOTICES
from callcenter.store.tables import CALL_EVENTS, CALLS, SEEN_EVENTS, table


@dataclass(frozen=True)
class PurgedCalls:
    """What one purge removed."""

    calls: int
    events: int


async def purge_calls_before(settings: Settings, cutoff: datetime, *, limit: int = 5000) -> PurgedCalls:
    """Delete every call (record, events, callback ids, notices) that started before `cutoff`; at most `limit` calls."""
    stamp = cutoff.isoformat(timespec="milliseconds")  # the format `now_iso` writes started_at in
    expired: list[tuple[str, str]] = []
    async with table(settings, CALLS) as calls:
        query = "started_at lt @cutoff and started_at ne ''"
        found = calls.query_entities(query, parameters={"cutoff": stamp}, select=["PartitionKey", "RowKey"])
        async for entity in found:
            expired.append((entity["PartitionKey"], entity["RowKey"]))
            if len(expired) >= limit:
                break
    events = 0
    for partition, call_id in expired:
        for name in (CALL_EVENTS, SEEN_EVENTS, NOTICES):
            events += await _delete_partition(settings, name, call_id)
        async with table(settings, CALLS) as calls:
            await calls.delete_entity(partition, call_id)
    return PurgedCalls(calls=len(expired), events=events)


async def _delete_partition(settings: Settings, name: str, partition: str) -> int:
    async with table(settings, name) as rows:
        found = rows.query_entities("PartitionKey eq @call", parameters={"call": partition}, select=["RowKey"])
        keys = [e["RowKey"] async for e in found]
        for row_key in keys:
            await rows.delete_entity(partition, row_key)
    return len(keys)

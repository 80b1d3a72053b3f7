"""KPI counters per hour and day, kept as conversations end, so statistics never scan records.

Layout (table `callstats`): one partition per UTC day and shard, `s{YYYY-MM-DD}-{shard}`. In it:

- a counter row `c|{dimension}` per dimension (`all`, `a={agent}`, `ch={channel}` or
  `a={agent},ch={channel}`): the day's counters as properties, and each hour's counters in one JSON
  property `hours` (so a day's hours cost one row to read, not 24);
- the `all` row also holds `recent`: digests of the partition's last RECENT (2,000) counted
  conversations, the idempotency marker.

A conversation's end is counted in ONE entity-group transaction in its shard's partition: every
counter row it touches (the `all` row with its `recent` list among them) is replaced, conditioned on
the ETag read just before, or created when new. A redelivered end finds its digest in `recent` and
counts nothing; two ends racing on a counter make one transaction fail with 412/409, and it is read
and tried again. Shards (by a hash of the call id) spread concurrent ends of one day over several
partitions. Markers are kept in the counter row rather than as a row per conversation so the table
holds only counter rows (days x shards x dimensions) and no query ever passes over per-conversation
rows (Azurite scans a whole table for any query). The window is bounded: a redelivery arriving after
2,000 later ends of the same day and shard would count again; redeliveries (activity retries, a
browser re-posting `ended`) come within minutes, while 2,000 ends per day and shard is 240,000
conversations a month.

Reads touch only counter rows: (days x shards) rows for one dimension, by hour or by day, whatever
the number of conversations. Handle times go into fixed bins (`HANDLE_BINS`), so p90 is read off the histogram.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError

from callcenter.config import Settings
from callcenter.store.tables import table

STATS = "callstats"
SHARDS = 4
MAX_ATTEMPTS = 30
MAX_CHUNK = 500  # conversations per transaction (its rows are the dimensions touched: at most 100)
# Idempotency: the `all` row of each partition lists digests of its last RECENT counted conversations.
RECENT = 2000
DIGEST_CHARS = 12
# Upper edges (seconds) of the handle-time bins; the last bin is open-ended. Fine where most calls
# fall (under five minutes), coarse beyond; p90 is interpolated linearly inside its bin.
HANDLE_BINS: tuple[float, ...] = (15, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 3600)
OUTCOMES = ("completed", "transferred", "abandoned", "no-answer", "busy", "failed", "voicemail")
# Integer counters of a row (plus one `o_<outcome>` per outcome and one `h<NN>` per handle-time bin).
COUNTS = ("conversations", "connected", "tool_calls", "tool_failures", "input_tokens", "output_tokens", "total_tokens")
# Sums kept as floats.
SUMS = ("handle_s", "cost")


_DAY_COLUMNS = (
    *COUNTS,
    *SUMS,
    *(f"o_{outcome}" for outcome in OUTCOMES),
    *(f"h{index:02d}" for index in range(len(HANDLE_BINS) + 1)),
)


class Bucket:
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True)
class EndedConversation:
    """What the counters need from a finished record."""

    call_id: str
    agent: str
    channel: str
    started_at: datetime
    outcome: str
    connected: bool
    handle_s: float
    cost: float
    tool_calls: int = 0
    tool_failures: int = 0
    usage: dict[str, int] = field(default_factory=dict)


def ended_conversation(record: dict[str, Any], events: list[dict[str, Any]]) -> EndedConversation:
    """The counters' view of a final record (`CallRecord.view()` plus what finalize wrote)."""
    started = record.get("started_at") or record.get("ended_at") or ""
    try:
        started_at = datetime.fromisoformat(started)
    except ValueError:
        started_at = datetime.now(UTC)
    tools = [e for e in events if e.get("type") == "tool_call"]
    return EndedConversation(
        call_id=record["call_id"],
        agent=record.get("agent") or "unknown",
        channel=record.get("channel") or "phone",
        started_at=started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC),
        outcome=record.get("outcome") or "completed",
        connected=bool(record.get("answered_at")),
        handle_s=float(record.get("duration_s") or 0.0),
        cost=float(record.get("estimated_cost") or 0.0),
        tool_calls=len(tools),
        tool_failures=sum(1 for e in tools if e.get("ok") is False),
        usage=dict(record.get("usage") or {}),
    )


def handle_bin(seconds: float) -> int:
    """Index of the bin `seconds` falls in."""
    for index, edge in enumerate(HANDLE_BINS):
        if seconds < edge:
            return index
    return len(HANDLE_BINS)


def dimension(agent: str | None = None, channel: str | None = None) -> str:
    """The counter dimension for an agent and/or channel filter (`all` when neither)."""
    parts = [f"a={_safe(agent)}"] if agent else []
    parts += [f"ch={_safe(channel)}"] if channel else []
    return ",".join(parts) or "all"


def _safe(value: str) -> str:
    """Row keys may not hold / \\ # ? or control characters; agent names never do, but be sure."""
    return "".join(c if c.isprintable() and c not in "/\\#?|,'" else "_" for c in value)[:64]


def shard_of(call_id: str) -> int:
    return zlib.crc32(call_id.encode()) % SHARDS


def partition(day: str, shard: int) -> str:
    return f"s{day}-{shard}"


def _dimensions(call: EndedConversation) -> list[str]:
    return [
        dimension(),
        dimension(agent=call.agent),
        dimension(channel=call.channel),
        dimension(call.agent, call.channel),
    ]


def _increments(call: EndedConversation) -> dict[str, float]:
    """What one conversation adds to each counter row it touches."""
    usage = call.usage
    delta: dict[str, float] = {
        "conversations": 1,
        "connected": 1 if call.connected else 0,
        "tool_calls": call.tool_calls,
        "tool_failures": call.tool_failures,
        "input_tokens": int(usage.get("input_tokens", 0)),
        "output_tokens": int(usage.get("output_tokens", 0)),
        "total_tokens": int(usage.get("total_tokens", 0)),
        "cost": call.cost,
        f"o_{call.outcome}": 1,
    }
    if call.connected:
        delta["handle_s"] = call.handle_s
        delta[f"h{handle_bin(call.handle_s):02d}"] = 1
    return delta


def _row_keys(call: EndedConversation) -> list[str]:
    return [f"c|{dim}" for dim in _dimensions(call)]


def _hour(call: EndedConversation) -> str:
    return f"{call.started_at.astimezone(UTC).hour:02d}"


def _merge(totals: dict[str, float], delta: dict[str, float]) -> None:
    for key, value in delta.items():
        totals[key] = totals.get(key, 0) + value


async def count_ended(settings: Settings, calls: Iterable[EndedConversation]) -> int:
    """Count conversations that ended, once each; returns how many were new.

    Conversations are grouped by partition (day and shard) and counted in one transaction per group
    of at most `MAX_CHUNK` (the bench seeds a month this way; the app counts one call at a time).
    """
    groups: dict[str, list[EndedConversation]] = {}
    for call in sorted(calls, key=lambda c: c.started_at):
        day = call.started_at.astimezone(UTC).date().isoformat()
        groups.setdefault(partition(day, shard_of(call.call_id)), []).append(call)
    counted = 0
    async with table(settings, STATS) as stats:
        for key, group in groups.items():
            for start in range(0, len(group), MAX_CHUNK):
                counted += await _count_in_partition(stats, key, group[start : start + MAX_CHUNK])
    return counted


def _digest(call_id: str) -> str:
    return hashlib.sha256(call_id.encode()).hexdigest()[:DIGEST_CHARS]


async def _count_in_partition(stats: Any, key: str, group: list[EndedConversation]) -> int:
    from azure.data.tables import TableTransactionError

    for attempt in range(MAX_ATTEMPTS):
        operations, fresh = await _operations(stats, key, group)
        if not fresh:
            return 0  # every one counted already: a redelivered end
        try:
            await stats.submit_transaction(operations)
            return fresh
        except (TableTransactionError, HttpResponseError, ServiceRequestError):
            # Another end changed a counter first (412) or created it first (409), or the request
            # may not have arrived: read again (the recent list tells what was counted) and retry.
            await asyncio.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
    raise RuntimeError(f"stats partition {key}: counters stayed contended for {MAX_ATTEMPTS} attempts")


async def _operations(stats: Any, key: str, calls: list[EndedConversation]) -> tuple[list[Any], int]:
    """The transaction (each counter row created, or replaced if unchanged) and how many calls it counts.

    The `all` row, which every conversation touches, keeps the digests of the partition's last
    `RECENT` counted conversations: one already in it is not counted again.
    """
    from azure.core import MatchConditions
    from azure.data.tables import UpdateMode

    everything = f"c|{dimension()}"
    seen = await _read(stats, key, everything)
    recent = str(seen.get("recent") or "").split(",") if seen is not None else []
    known = set(recent)
    fresh = [call for call in calls if _digest(call.call_id) not in known]
    rows: dict[str, tuple[dict[str, float], dict[str, dict[str, float]]]] = {}
    for call in fresh:
        delta = _increments(call)
        for row in _row_keys(call):
            day, hours = rows.setdefault(row, ({}, {}))
            _merge(day, delta)
            _merge(hours.setdefault(_hour(call), {}), delta)
    others = [row for row in rows if row != everything]
    current = dict(zip(others, await asyncio.gather(*(_read(stats, key, row) for row in others)), strict=True))
    current[everything] = seen
    operations: list[Any] = []
    for row, (day, hours) in rows.items():
        entity = current[row]
        totals, hour_totals = (_counters(entity), _hours(entity)) if entity is not None else ({}, {})
        _merge(totals, day)
        for hour, delta in hours.items():
            _merge(hour_totals.setdefault(hour, {}), delta)
        values = {"PartitionKey": key, "RowKey": row, **_typed(totals), "hours": json.dumps(hour_totals)}
        if row == everything:
            values["recent"] = ",".join([d for d in recent if d] + [_digest(c.call_id) for c in fresh])[
                -RECENT * (DIGEST_CHARS + 1) + 1 :
            ]
        if entity is None:
            operations.append(("create", values))
            continue
        condition = {"mode": UpdateMode.REPLACE, "etag": entity.metadata["etag"]}
        condition["match_condition"] = MatchConditions.IfNotModified
        operations.append(("update", values, condition))
    return operations, len(fresh)


def _hours(entity: Any) -> dict[str, dict[str, float]]:
    hours = json.loads(entity.get("hours") or "{}")
    return hours if isinstance(hours, dict) else {}


async def _read(stats: Any, key: str, row: str) -> Any:
    try:
        return await stats.get_entity(key, row)
    except ResourceNotFoundError:
        return None


def _counters(entity: Any) -> dict[str, float]:
    """The numbers of a counter row (Int64 values arrive wrapped in an EntityProperty)."""
    numbers: dict[str, float] = {}
    for key, value in entity.items():
        value = getattr(value, "value", value)
        if key not in ("PartitionKey", "RowKey") and isinstance(value, int | float) and not isinstance(value, bool):
            numbers[key] = value
    return numbers


def _typed(values: dict[str, float]) -> dict[str, Any]:
    """Counts as Int64 (EdmType) where they can grow past 2^31 (tokens), floats as Double."""
    from azure.data.tables import EdmType, EntityProperty

    typed: dict[str, Any] = {}
    for key, value in values.items():
        if key in SUMS:
            typed[key] = float(value)
        else:
            typed[key] = EntityProperty(int(value), EdmType.INT64)
    return typed


@dataclass
class BucketCounts:
    """The counters of one bucket (one hour or one day), summed over shards."""

    start: datetime
    values: dict[str, float] = field(default_factory=dict)


async def read_buckets(
    settings: Settings, since: datetime, until: datetime, bucket: str, dim: str
) -> list[BucketCounts]:
    """Counters of `dim` for buckets starting in [since, until), in time order (empty ones included).

    One query: the row of `dim` in each day partition of the range (days x shards rows).
    """
    step = timedelta(hours=1) if bucket == Bucket.HOUR else timedelta(days=1)
    starts: list[datetime] = []
    moment = _floor(since, Bucket.HOUR if bucket == Bucket.HOUR else Bucket.DAY)
    while moment < until:
        starts.append(moment)
        moment += step
    if not starts:
        return []
    found = {start: BucketCounts(start) for start in starts}
    low, high = starts[0].date().isoformat(), (starts[-1].date() + timedelta(days=1)).isoformat()
    query = f"PartitionKey ge 's{low}' and PartitionKey lt 's{high}' and RowKey eq 'c|{dim}'"
    async with table(settings, STATS) as stats:
        # Only what the bucket needs: the day's counters, or the hours' JSON (a tenth of the bytes each).
        columns = ["PartitionKey", *_DAY_COLUMNS] if bucket == Bucket.DAY else ["PartitionKey", "hours"]
        async for entity in stats.query_entities(query, results_per_page=1000, select=columns):
            day = datetime.fromisoformat(entity["PartitionKey"][1:11]).replace(tzinfo=UTC)
            if bucket == Bucket.DAY:
                if day in found:
                    _merge(found[day].values, _counters(entity))
                continue
            for hour, values in _hours(entity).items():
                start = day + timedelta(hours=int(hour))
                if start in found:
                    _merge(found[start].values, values)
    return [found[start] for start in starts]


def _floor(moment: datetime, bucket: str) -> datetime:
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment if bucket == Bucket.HOUR else moment.replace(hour=0)

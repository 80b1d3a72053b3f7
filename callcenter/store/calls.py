"""One record per call, its ordered events (transcript lines, tool calls, usage), and callback de-duplication."""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from callcenter.calls import CallStatus, Direction, Notice, Outcome
from callcenter.config import Settings
from callcenter.errors import InvalidInput, NotFound
from callcenter.store.tables import CALL_EVENTS, CALLS, SEEN_EVENTS, entity_without_metadata, table

SHARDS = 32  # partitions for calls outside campaigns
CONTACT_BLOCK = 1000  # campaign calls of this many consecutive contacts share a partition
# campaign_call_id's shape, whatever the campaign id (uuids and ACS ids never end like this)
CAMPAIGN_CALL = re.compile(r"(?P<campaign>.+)-(?P<contact>\d{7})-a(?P<attempt>\d+)")
PAGE_TOKEN = re.compile(r"call-[^/']{2,80}")


def campaign_call_id(campaign_id: str, contact: int, attempt: int) -> str:
    """The id of a campaign's call to contact number `contact` (from 1), attempt `attempt`: the
    same for a claim that runs again, so the call is never placed twice."""
    return f"{campaign_id}-{contact:07d}-a{attempt}"


def call_partition(call_id: str) -> str:
    """The record's partition, from the call id alone (a point read needs nothing else).

    Records are spread over partitions: Table Storage serves about 2,000 operations per second per
    partition, and Azurite's look-ups scan a whole partition. A campaign's calls to a block of
    consecutive contacts share one, so a claim writes its records in one or two transactions;
    other calls spread over SHARDS partitions by a hash of the id.
    """
    campaign = CAMPAIGN_CALL.fullmatch(call_id)
    if campaign:
        return f"call-{campaign['campaign']}-{int(campaign['contact']) // CONTACT_BLOCK:03d}"
    return f"call-{zlib.crc32(call_id.encode()) % SHARDS:02d}"


MAX_PAGE = 100


@dataclass
class CallRecord:
    """What is kept about one call; JSON-typed fields are stored as JSON text."""

    call_id: str
    direction: Direction
    agent: str
    from_number: str = ""
    to_number: str = ""
    status: CallStatus = CallStatus.RINGING
    outcome: Outcome | None = None  # set when the call ends
    reason: str = ""
    started_at: str = ""
    answered_at: str = ""
    ended_at: str = ""
    duration_s: float = 0.0
    transfer_target: str = ""
    call_connection_id: str = ""
    server_call_id: str = ""
    campaign_id: str = ""
    context: dict[str, str] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)
    tool_calls: int = 0
    estimated_cost: float = 0.0
    summary: str = ""
    recording_location: str = ""
    channel: str = "phone"  # or "web": a browser conversation (callcenter/api/conversations_api.py)

    def to_entity(self) -> dict[str, Any]:
        entity = asdict(self)
        entity["outcome"] = self.outcome or ""
        entity["context"] = json.dumps(self.context)
        entity["usage"] = json.dumps(self.usage)
        return {"PartitionKey": call_partition(self.call_id), "RowKey": self.call_id, **entity}

    @classmethod
    def from_entity(cls, entity: Any) -> CallRecord:
        data = entity_without_metadata(entity)
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["context"] = json.loads(values.get("context") or "{}")
        values["usage"] = json.loads(values.get("usage") or "{}")
        values["direction"] = Direction(values.get("direction") or Direction.INBOUND)
        values["status"] = CallStatus(values.get("status") or CallStatus.RINGING)
        values["outcome"] = Outcome.parse(values.get("outcome") or "")
        return cls(**values)

    def view(self) -> dict[str, Any]:
        """The record as the API shows it (no outcome yet reads as "")."""
        return {**asdict(self), "outcome": self.outcome or ""}


# `recording_location` while the call is recorded; the file's URL replaces it once ACS announces it.
RECORDING_PREFIX = "acs-recording:"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


async def claim_call(settings: Settings, record: CallRecord) -> bool:
    """Create the record; False when it exists already (a redelivered event or a retried start)."""
    async with table(settings, CALLS) as calls:
        try:
            await calls.create_entity(record.to_entity())
        except ResourceExistsError:
            return False
    return True


async def get_call(settings: Settings, call_id: str) -> CallRecord:
    """Raises NotFound for an unknown call."""
    async with table(settings, CALLS) as calls:
        try:
            return CallRecord.from_entity(await calls.get_entity(call_partition(call_id), call_id))
        except ResourceNotFoundError:
            raise NotFound(f"unknown call '{call_id}'", code="unknown_call") from None


async def update_call(settings: Settings, call_id: str, **changes: Any) -> None:
    """Merge `changes` into the record (JSON fields are re-encoded)."""
    from azure.data.tables import UpdateMode  # lazily, as the table clients are (store.tables)

    entity: dict[str, Any] = {"PartitionKey": call_partition(call_id), "RowKey": call_id}
    for key, value in changes.items():
        entity[key] = json.dumps(value) if isinstance(value, dict) else value
    async with table(settings, CALLS) as calls:
        try:
            await calls.update_entity(entity, mode=UpdateMode.MERGE)
        except ResourceNotFoundError:
            raise NotFound(f"unknown call '{call_id}'", code="unknown_call") from None


async def find_call_by_recording(settings: Settings, recording_id: str) -> str | None:
    """The call whose recording ACS started under `recording_id` (a scan: this runs once per call)."""
    wanted = _odata_string(f"{RECORDING_PREFIX}{recording_id}")
    async with table(settings, CALLS) as calls:
        async for entity in calls.query_entities(f"recording_location eq '{wanted}'", select=["RowKey"]):
            return str(entity["RowKey"])
    return None


def _odata_string(value: str) -> str:
    return value.replace("'", "''")


async def list_calls(
    settings: Settings,
    *,
    direction: str | None = None,
    outcome: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 50,
    page_token: str | None = None,
) -> tuple[list[CallRecord], str | None]:
    """A page of records, newest first within the page, with a token for the next page.

    The token is the last record's `partition/call id` (records come in partition, then id, order).
    """
    clauses = ["PartitionKey ge 'call-' and PartitionKey lt 'call.'"]
    for column, value, op in (
        ("direction", direction, "eq"),
        ("outcome", outcome, "eq"),
        ("started_at", since, "ge"),
        ("started_at", until, "lt"),
    ):
        if value:
            clauses.append(f"{column} {op} '{_odata_string(value)}'")
    if page_token:
        partition, _, row = page_token.partition("/")
        if not PAGE_TOKEN.fullmatch(partition) or not row:
            raise InvalidInput("page_token is not one this API gave out", code="bad_page_token")
        partition, row = _odata_string(partition), _odata_string(row)
        clauses.append(f"(PartitionKey gt '{partition}' or (PartitionKey eq '{partition}' and RowKey gt '{row}'))")
    records: list[CallRecord] = []
    async with table(settings, CALLS) as calls:
        async for entity in calls.query_entities(" and ".join(clauses), results_per_page=limit):
            records.append(CallRecord.from_entity(entity))
            if len(records) >= limit:
                break
    last = records[-1].call_id if records else ""
    next_token = f"{call_partition(last)}/{last}" if len(records) >= limit else None
    records.sort(key=lambda r: r.started_at, reverse=True)
    return records, next_token


async def append_events(settings: Settings, call_id: str, events: list[dict[str, Any]], batch_key: str) -> None:
    """Store a batch of the bridge's events in order; a retried batch overwrites itself, never duplicates.

    An event's row is named by its per-call `seq` from the bridge, so a batch that failed and is retried
    with newer events appended stores the old ones in place; events without one are named by the batch
    (`batch_key`, a hash of the request body) and their position in it.
    """
    async with table(settings, CALL_EVENTS) as store:
        for index, event in enumerate(events):
            seq = event.get("seq")
            name = f"{seq:08d}" if isinstance(seq, int) else f"{batch_key}|{index:04d}"
            row = f"{event.get('ts', '')}|{name}"
            await store.upsert_entity(
                {"PartitionKey": call_id, "RowKey": row, "kind": event["type"], "body": json.dumps(event)}
            )


async def call_events(settings: Settings, call_id: str, limit: int = 5000) -> list[dict[str, Any]]:
    """The call's events in order (transcript lines, tool calls, barge-ins, usage...)."""
    found: list[tuple[str, dict[str, Any]]] = []
    async with table(settings, CALL_EVENTS) as store:
        query = f"PartitionKey eq '{_odata_string(call_id)}'"
        async for entity in store.query_entities(query):
            found.append((entity["RowKey"], json.loads(entity["body"])))
            if len(found) >= limit:
                break
    return [event for _, event in sorted(found, key=lambda item: item[0])]


async def first_sighting(settings: Settings, call_id: str, event_id: str) -> bool:
    """True the first time an ACS event id is seen for a call (callbacks are delivered at least once)."""
    if not event_id or len(event_id) > 200 or any(c in event_id for c in "/\\#?"):
        raise InvalidInput("callback event has no usable id")
    async with table(settings, SEEN_EVENTS) as seen:
        try:
            await seen.create_entity({"PartitionKey": call_id, "RowKey": event_id})
        except ResourceExistsError:
            return False
    return True


NOTICES = "callnotices"


async def add_notice(settings: Settings, call_id: str, notice: Notice) -> None:
    """Queue a notice for the bridge (e.g. a transfer failed); it is handed over on the next event batch."""
    async with table(settings, NOTICES) as notices:
        await notices.create_entity({"PartitionKey": call_id, "RowKey": now_iso(), "body": json.dumps(notice)})


async def take_notices(settings: Settings, call_id: str) -> list[Notice]:
    """The call's queued notices, removed as they are handed over."""
    taken: list[tuple[str, Notice]] = []
    async with table(settings, NOTICES) as notices:
        async for entity in notices.query_entities(f"PartitionKey eq '{_odata_string(call_id)}'"):
            taken.append((entity["RowKey"], json.loads(entity["body"])))
        for row, _ in taken:
            await notices.delete_entity(call_id, row)
    return [notice for _, notice in sorted(taken, key=lambda item: item[0])]

"""Campaigns and their per-contact state in Table Storage, queryable without the orchestration.

Table `campaigns` (partition `campaign`) holds one row per campaign: name, agent, status, settings.
Table `campaigncontacts` splits a campaign's contacts, in upload order, into slices of SLICE_SIZE;
each slice is one partition (`<campaign id>.<slice>`) holding:

- `c0000042`: contact 42 (number, name, zone, variables, bucket, attempts, call ids, next due time);
- `q<due epoch s>|c0000042`: the slice's dial queue, ordered by due time, one row per contact awaiting a call;
- `~counters`: the slice's contacts per bucket (the campaign's progress is their sum);
- `j<claim key>`: the result of one claim, so a claim activity that runs again returns the same calls.

Every change to a contact's bucket moves its slice's counters in the same entity-group transaction
(one partition, at most 100 operations), so the counters always add up to the total, even when an
activity is interrupted and runs again. Slices keep partitions small: Table Storage serves about
2,000 operations per second per partition, and Azurite's look-ups scan a whole partition.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import TableTransactionError, UpdateMode

from callcenter.campaigns.contacts import Contact
from callcenter.campaigns.pacing import Bucket
from callcenter.config import Settings
from callcenter.errors import Conflict, NotFound, UpstreamError
from callcenter.store.calls import now_iso
from callcenter.store.tables import entity_without_metadata, table

CAMPAIGNS = "campaigns"
CONTACTS = "campaigncontacts"
META_PARTITION = "campaign"
COUNTERS = "~counters"
IMPORT_CHUNK = 50  # contacts per transaction at import: contact row + queue row each
IMPORT_PARALLEL = 2
IMPORT_TRIES = 4
MAX_PAGE = 500
SLICE_SIZE = 2000  # contacts per partition; a multiple of IMPORT_CHUNK
EPOCH = datetime.fromtimestamp(0, UTC)  # "due now": sorts before every real due time
CONTACT_KEY = re.compile(r"c\d{7}")


def contact_key(index: int) -> str:
    return f"c{index:07d}"


def slice_count(total: int) -> int:
    return max(1, -(-total // SLICE_SIZE))


def slice_of(contact: str) -> int:
    """The slice of contact key `c0000042` (contacts are numbered from 1 in upload order)."""
    return (int(contact[1:]) - 1) // SLICE_SIZE


def partition(campaign_id: str, slice_: int) -> str:
    return f"{campaign_id}.{slice_:03d}"


def queue_key(due: datetime, contact: str) -> str:
    return f"q{int(due.timestamp()):011d}|{contact}"


def queue_time(key: str) -> datetime:
    return datetime.fromtimestamp(int(key[1:12]), UTC)


def _odata(value: str) -> str:
    return value.replace("'", "''")


def merge(entity: dict[str, Any], etag: str | None = None) -> tuple[Any, ...]:
    """A transaction operation that merges `entity` (only if unchanged since read, with an ETag)."""
    if etag is None:
        return ("update", entity, {"mode": UpdateMode.MERGE})
    return (
        "update",
        entity,
        {"mode": UpdateMode.MERGE, "etag": etag, "match_condition": MatchConditions.IfNotModified},
    )


def contact_view(entity: Any) -> dict[str, Any]:
    """A contact as the API shows it."""
    data = entity_without_metadata(entity)
    bucket = data.get("bucket", Bucket.PENDING)
    return {
        "contact_id": entity["RowKey"],
        "line": data.get("line"),
        "phone": data.get("phone"),
        "name": data.get("name", ""),
        "time_zone": data.get("time_zone"),
        "variables": json.loads(data.get("variables") or "{}"),
        "outcome": bucket,
        "last_outcome": data.get("last_outcome") or None,
        "attempts": data.get("attempts", 0),
        "last_attempt_at": data.get("last_attempt_at") or None,
        "next_attempt_at": data.get("due_at") or None if bucket == Bucket.PENDING else None,
        "call_id": data.get("call_id") or None,
        "call_ids": json.loads(data.get("call_ids") or "[]"),
    }


# -- campaigns -------------------------------------------------------------------------------------


async def create_campaign(
    settings: Settings,
    campaign_id: str,
    stored_settings: dict[str, Any],
    contacts: list[Contact],
    rejected: int,
) -> dict[str, Any]:
    """Store the contacts, each queued as due at once, then the campaign row.

    The first claim checks each contact's calling window on the orchestration's clock and re-queues
    those whose window is closed, so nothing here depends on the wall clock.
    """
    chunks: list[list[tuple[str, Any]]] = []
    for start in range(0, len(contacts), IMPORT_CHUNK):  # chunks never straddle a slice
        ops: list[tuple[str, Any]] = []
        part = partition(campaign_id, start // SLICE_SIZE)
        for index, contact in enumerate(contacts[start : start + IMPORT_CHUNK], start=start + 1):
            key = contact_key(index)
            row = {
                "PartitionKey": part,
                "RowKey": key,
                "line": contact.line,
                "phone": contact.phone,
                "name": contact.name,
                "time_zone": contact.time_zone,
                "variables": json.dumps(contact.variables),
                "bucket": Bucket.PENDING.value,
                "attempts": 0,
                "due_at": "",
                "call_ids": "[]",
            }
            ops.append(("upsert", row))
            ops.append(("upsert", {"PartitionKey": part, "RowKey": queue_key(EPOCH, key)}))
        chunks.append(ops)
    async with table(settings, CONTACTS) as store:
        gate = asyncio.Semaphore(IMPORT_PARALLEL)

        async def submit(chunk: list[tuple[str, Any]]) -> None:
            async with gate:
                for attempt in range(IMPORT_TRIES):  # upserts: a retried chunk writes the same rows
                    try:
                        await store.submit_transaction(chunk)
                        return
                    except (ServiceRequestError, ServiceResponseError) as exc:
                        if attempt == IMPORT_TRIES - 1:
                            raise UpstreamError(f"storing contacts failed ({type(exc).__name__})") from None
                        await asyncio.sleep(0.5 * (attempt + 1))

        await asyncio.gather(*(submit(chunk) for chunk in chunks))

        async def count(slice_: int) -> None:
            size = min(SLICE_SIZE, len(contacts) - slice_ * SLICE_SIZE)
            counts = {**{bucket.value: 0 for bucket in Bucket}, Bucket.PENDING.value: size, "total": size}
            await store.upsert_entity({"PartitionKey": partition(campaign_id, slice_), "RowKey": COUNTERS, **counts})

        await asyncio.gather(*(count(s) for s in range(slice_count(len(contacts)))))
    meta = {
        "PartitionKey": META_PARTITION,
        "RowKey": campaign_id,
        "name": stored_settings["name"],
        "agent": stored_settings["agent"],
        "status": "running",
        "settings": json.dumps(stored_settings),
        "total": len(contacts),
        "rejected": rejected,
        "created_at": now_iso(),
        "finished_at": "",
    }
    async with table(settings, CAMPAIGNS) as campaigns:
        await campaigns.create_entity(meta)
    return _campaign_view(meta, {Bucket.PENDING.value: len(contacts)})


def _campaign_view(meta: Any, counters: dict[str, Any]) -> dict[str, Any]:
    data = entity_without_metadata(meta)
    return {
        "id": meta["RowKey"],
        "name": data.get("name", ""),
        "status": data.get("status", ""),
        "agent": data.get("agent", ""),
        "total": data.get("total", 0),
        "rejected": data.get("rejected", 0),
        "created_at": data.get("created_at", ""),
        "finished_at": data.get("finished_at") or None,
        "counters": {bucket.value: int(counters.get(bucket.value, 0)) for bucket in Bucket},
        "settings": json.loads(data.get("settings") or "{}"),
    }


async def _meta(settings: Settings, campaign_id: str) -> Any:
    async with table(settings, CAMPAIGNS) as campaigns:
        try:
            return await campaigns.get_entity(META_PARTITION, campaign_id)
        except ResourceNotFoundError:
            raise NotFound(f"unknown campaign '{campaign_id}'", code="unknown_campaign") from None


async def campaign_meta(settings: Settings, campaign_id: str) -> dict[str, Any]:
    """The campaign row alone: status, agent and stored settings (JSON decoded). Raises NotFound."""
    meta = entity_without_metadata(await _meta(settings, campaign_id))
    return {**meta, "settings": json.loads(meta.get("settings") or "{}")}


async def counters(settings: Settings, campaign_id: str, total: int) -> dict[str, int]:
    """Contacts per bucket: the sum of the slices' counters (point reads, one per slice)."""
    async with table(settings, CONTACTS) as store:

        async def read(slice_: int) -> Any:
            try:
                return await store.get_entity(partition(campaign_id, slice_), COUNTERS)
            except ResourceNotFoundError:
                return {}

        found = await asyncio.gather(*(read(s) for s in range(slice_count(total))))
    return {bucket.value: sum(int(row.get(bucket.value, 0)) for row in found) for bucket in Bucket}


async def get_campaign(settings: Settings, campaign_id: str) -> dict[str, Any]:
    """The campaign with its counters. Raises NotFound."""
    meta = await _meta(settings, campaign_id)
    return _campaign_view(meta, await counters(settings, campaign_id, int(meta.get("total", 0))))


async def list_campaigns(settings: Settings, limit: int = 50) -> list[dict[str, Any]]:
    """The newest `limit` campaigns with their counters."""
    metas: list[Any] = []
    async with table(settings, CAMPAIGNS) as campaigns:
        async for meta in campaigns.query_entities(f"PartitionKey eq '{META_PARTITION}'"):
            metas.append(meta)
    metas.sort(key=lambda m: m.get("created_at", ""), reverse=True)
    metas = metas[:limit]
    found = await asyncio.gather(*(counters(settings, m["RowKey"], int(m.get("total", 0))) for m in metas))
    return [_campaign_view(meta, count) for meta, count in zip(metas, found, strict=True)]


async def campaign_status(settings: Settings, campaign_id: str) -> str:
    return str((await _meta(settings, campaign_id)).get("status", ""))


async def change_status(settings: Settings, campaign_id: str, to: str, allowed_from: set[str]) -> str:
    """Move the campaign to status `to` if it is in one of `allowed_from`; returns the previous status.

    Raises:
        NotFound: unknown campaign. Conflict: the campaign is in another status.
    """
    meta = await _meta(settings, campaign_id)
    current = str(meta.get("status", ""))
    if current not in allowed_from:
        raise Conflict(f"campaign is {current}; cannot become {to}", code="campaign_state")
    changes: dict[str, Any] = {"PartitionKey": META_PARTITION, "RowKey": campaign_id, "status": to}
    if to in ("completed", "cancelled") and not meta.get("finished_at"):
        changes["finished_at"] = now_iso()
    async with table(settings, CAMPAIGNS) as campaigns:
        try:
            await campaigns.update_entity(
                changes,
                mode=UpdateMode.MERGE,
                etag=meta.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except Exception as exc:
            if getattr(exc, "status_code", None) == 412:
                raise Conflict("campaign changed meanwhile; try again", code="campaign_state") from None
            raise
    return current


# -- contacts --------------------------------------------------------------------------------------


def _slice_query(part: str, after: str, bucket: str | None = None) -> str:
    query = f"PartitionKey eq '{_odata(part)}' and RowKey gt '{_odata(after)}' and RowKey lt 'd'"
    return query + (f" and bucket eq '{_odata(bucket)}'" if bucket else "")


async def list_contacts(
    settings: Settings, campaign_id: str, total: int, *, bucket: str | None, limit: int, page_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of contacts in upload order, optionally only those in `bucket`, slice after slice."""
    after = page_token if page_token and CONTACT_KEY.fullmatch(page_token) else "c"
    first = slice_of(after) if after != "c" else 0
    found: list[dict[str, Any]] = []
    async with table(settings, CONTACTS) as store:
        for slice_ in range(first, slice_count(total)):
            query = _slice_query(partition(campaign_id, slice_), after, bucket)
            async for entity in store.query_entities(query, results_per_page=limit - len(found)):
                found.append(contact_view(entity))
                if len(found) >= limit:
                    return found, found[-1]["contact_id"]
    return found, None


async def iter_contacts(settings: Settings, campaign_id: str, total: int) -> AsyncIterator[dict[str, Any]]:
    """Every contact in upload order (for the CSV export)."""
    async with table(settings, CONTACTS) as store:
        for slice_ in range(slice_count(total)):
            query = _slice_query(partition(campaign_id, slice_), "c")
            async for entity in store.query_entities(query, results_per_page=1000):
                yield contact_view(entity)


async def read_rows(settings: Settings, part: str, keys: list[str]) -> dict[str, Any]:
    """Rows of partition `part` by key; missing keys are left out."""
    async with table(settings, CONTACTS) as store:

        async def read(key: str) -> Any:
            try:
                return await store.get_entity(part, key)
            except ResourceNotFoundError:
                return None

        rows = await asyncio.gather(*(read(k) for k in keys))
    return {key: row for key, row in zip(keys, rows, strict=True) if row is not None}


async def queue_head(settings: Settings, part: str, limit: int) -> list[str]:
    """Keys of the first `limit` queue rows of a slice, earliest due first (due or not)."""
    query = f"PartitionKey eq '{_odata(part)}' and RowKey gt 'q' and RowKey lt 'r'"
    keys: list[str] = []
    async with table(settings, CONTACTS) as store:
        async for entity in store.query_entities(query, results_per_page=limit, select=["RowKey"]):
            keys.append(entity["RowKey"])
            if len(keys) >= limit:
                break
    return keys


async def journal(settings: Settings, part: str, claim_key: str) -> dict[str, Any] | None:
    rows = await read_rows(settings, part, ["j" + claim_key])
    row = rows.get("j" + claim_key)
    return json.loads(row["result"]) if row else None


async def commit(
    settings: Settings, part: str, ops: list[tuple[Any, ...]], moves: dict[str, int], extra: list[Any]
) -> bool:
    """Apply a slice's operations and counter `moves` atomically; False if the counters changed meanwhile."""
    async with table(settings, CONTACTS) as store:
        try:
            current = await store.get_entity(part, COUNTERS)
        except ResourceNotFoundError:
            raise NotFound(f"campaign slice '{part}' has no contacts", code="unknown_campaign") from None
        updated: dict[str, Any] = {"PartitionKey": part, "RowKey": COUNTERS}
        for bucket, delta in moves.items():
            if delta:
                updated[bucket] = int(current.get(bucket, 0)) + delta
        batch = [*ops, *extra, merge(updated, current.metadata["etag"])]
        try:
            await store.submit_transaction(batch)
        except TableTransactionError as exc:
            if exc.status_code == 412:
                return False
            raise
        except ResourceExistsError:
            return False
    return True

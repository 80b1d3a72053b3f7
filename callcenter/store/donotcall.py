"""The do-not-call list, keyed by an HMAC of the number: storage and its request logs never see the number.

A row's RowKey is `HMAC-SHA256(DNC_HASH_KEY, number)` in hex; the row also keeps `key_id` (a short
fingerprint of the key that made it), the masked number for people reading the list, and where the
entry came from. One marker row per key id (partition `dnc-keys`) says which keys have rows.

Key rotation (docs/do-not-call.md): set the new key as DNC_HASH_KEY and the old one as
DNC_HASH_KEY_PREVIOUS. Every lookup reads under both, and a row found under the previous key is
moved to the current one then and there. A key can be dropped only when no row carries its id
(`key_report` counts them; the retention timer logs it). If rows exist under a key id that is not
configured, e.g. the key was changed without keeping the old one, every check refuses with
`DoNotCallKeyMissing` rather than letting listed numbers through as unlisted.

Rows written before hashing (RowKey = the E.164 number itself) are still honoured: while any exists
(one indexed range query tells), lookups also read the raw key and re-key what they find, and
`migrate_raw_rows` (run by the retention timer) re-keys them all.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceNotFoundError

from callcenter.config import Settings
from callcenter.errors import FeatureNotConfigured, NotFound
from callcenter.phone_numbers import mask_number
from callcenter.store.calls import now_iso
from callcenter.store.tables import table

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient

DO_NOT_CALL = "donotcall"
PARTITION = "dnc"
KEYS_PARTITION = "dnc-keys"
RAW_KEY_ID = "raw"  # rows keyed by the number itself, from before hashing
MAX_PAGE = 500
# E.164 numbers start with '+', HMAC row keys are lowercase hex: this range holds exactly the raw rows.
_RAW_RANGE = f"PartitionKey eq '{PARTITION}' and RowKey ge '+' and RowKey lt ','"


class DoNotCallKeyMissing(FeatureNotConfigured):
    """Rows exist under a hash key that is not configured: checking the list now would miss them."""

    code = "dnc_key_missing"


@dataclass(frozen=True)
class HashKey:
    """One configured HMAC key and its id."""

    secret: bytes
    key_id: str

    @classmethod
    def of(cls, secret: str) -> HashKey:
        # The id is a fingerprint of the key, so it needs no setting of its own and cannot drift.
        fingerprint = hashlib.sha256(b"callcenter-dnc-key-id\x00" + secret.encode()).hexdigest()[:12]
        return cls(secret.encode(), fingerprint)

    def row_key(self, number: str) -> str:
        """The RowKey of `number` (an E.164 string, already validated) under this key."""
        return hmac.new(self.secret, number.encode(), hashlib.sha256).hexdigest()


def hash_keys(settings: Settings) -> tuple[HashKey, ...]:
    """The configured keys, current first.

    Raises:
        FeatureNotConfigured: DNC_HASH_KEY is not set (the list cannot be read or written without it).
    """
    if not settings.dnc_hash_keys:
        raise FeatureNotConfigured("the do-not-call list is not configured: set DNC_HASH_KEY")
    return tuple(HashKey.of(secret) for secret in settings.dnc_hash_keys)


def _view(entity: Any, number: str | None = None) -> dict[str, Any]:
    view = {
        "number_masked": entity.get("number_masked") or mask_number(entity["RowKey"]),
        "added_at": entity.get("added_at", ""),
        "source": entity.get("source", ""),
        "reason": entity.get("reason", ""),
        "call_id": entity.get("call_id", ""),
    }
    return {"number": number, **view} if number else view


class _Lookup:
    """Finds a number's row under any configured key (or raw), moving it to the current key when found elsewhere."""

    def __init__(self, dnc: TableClient, keys: tuple[HashKey, ...], read_raw: bool) -> None:
        self._dnc = dnc
        self._keys = keys
        self._read_raw = read_raw

    async def find(self, number: str) -> dict[str, Any] | None:
        candidates = [key.row_key(number) for key in self._keys] + ([number] if self._read_raw else [])
        for position, row_key in enumerate(candidates):
            try:
                entity = dict(await self._dnc.get_entity(PARTITION, row_key))
            except ResourceNotFoundError:
                continue
            if position > 0:
                entity = await self.rekey(entity, number)
            return entity
        return None

    async def rekey(self, entity: dict[str, Any], number: str) -> dict[str, Any]:
        """Move a row found under an older key (or raw) to the current key."""
        current = self._keys[0]
        moved = {
            **entity,
            "RowKey": current.row_key(number),
            "key_id": current.key_id,
            "number_masked": mask_number(number),
        }
        await _mark_key(self._dnc, current)
        await self._dnc.upsert_entity(moved)
        await self._dnc.delete_entity(PARTITION, entity["RowKey"])
        return moved


async def _mark_key(dnc: TableClient, key: HashKey) -> None:
    await dnc.upsert_entity({"PartitionKey": KEYS_PARTITION, "RowKey": key.key_id, "since": now_iso()})


async def _lookup(dnc: TableClient, settings: Settings) -> _Lookup:
    """A lookup over the configured keys, after checking that no row is keyed by an unknown key.

    Raises:
        DoNotCallKeyMissing: rows exist under a key id that is neither DNC_HASH_KEY nor DNC_HASH_KEY_PREVIOUS.
    """
    keys = hash_keys(settings)
    known = {key.key_id for key in keys}
    marked = [e["RowKey"] async for e in dnc.query_entities(f"PartitionKey eq '{KEYS_PARTITION}'", select=["RowKey"])]
    unknown = sorted(set(marked) - known)
    if unknown:
        raise DoNotCallKeyMissing(
            f"do-not-call rows are keyed by hash key id(s) {', '.join(unknown)}, which are not configured: "
            "set the key that made them as DNC_HASH_KEY_PREVIOUS (docs/do-not-call.md)"
        )
    raw = [e async for e in dnc.query_entities(_RAW_RANGE, select=["RowKey"], results_per_page=1)][:1]
    return _Lookup(dnc, keys, read_raw=bool(raw))


async def add_number(
    settings: Settings, number: str, *, source: str, reason: str = "", call_id: str = ""
) -> dict[str, Any]:
    """Put `number` on the list (adding it again keeps the first entry's time and source)."""
    async with table(settings, DO_NOT_CALL) as dnc:
        lookup = await _lookup(dnc, settings)
        found = await lookup.find(number)
        if found is not None:
            return _view(found, number)
        current = hash_keys(settings)[0]
        entity = {
            "PartitionKey": PARTITION,
            "RowKey": current.row_key(number),
            "key_id": current.key_id,
            "number_masked": mask_number(number),
            "added_at": now_iso(),
            "source": source,
            "reason": reason,
            "call_id": call_id,
        }
        await _mark_key(dnc, current)  # before the row: a row never exists under an unmarked key
        await dnc.upsert_entity(entity)
    return _view(entity, number)


async def remove_number(settings: Settings, number: str) -> None:
    """Take `number` off the list.

    Raises:
        NotFound: the number is not on the list.
    """
    async with table(settings, DO_NOT_CALL) as dnc:
        found = await (await _lookup(dnc, settings)).find(number)
        if found is None:
            raise NotFound(f"{mask_number(number)} is not on the do-not-call list", code="not_on_list")
        await dnc.delete_entity(PARTITION, found["RowKey"])


async def get_number(settings: Settings, number: str) -> dict[str, Any]:
    """Raises NotFound when `number` is not on the list."""
    async with table(settings, DO_NOT_CALL) as dnc:
        found = await (await _lookup(dnc, settings)).find(number)
    if found is None:
        raise NotFound(f"{mask_number(number)} is not on the do-not-call list", code="not_on_list")
    return _view(found, number)


async def listed(settings: Settings, numbers: Iterable[str]) -> set[str]:
    """Which of `numbers` are on the list (point reads: the list may be far longer than a batch).

    Raises:
        DoNotCallKeyMissing: the list cannot be checked reliably with the configured keys.
    """
    wanted = sorted(set(numbers))
    if not wanted:
        return set()
    async with table(settings, DO_NOT_CALL) as dnc:
        lookup = await _lookup(dnc, settings)
        found = await asyncio.gather(*(lookup.find(n) for n in wanted))
    return {number for number, entity in zip(wanted, found, strict=True) if entity is not None}


async def list_numbers(
    settings: Settings, limit: int = 100, page_token: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the list (in row-key order, so not by number), with the token of the next page."""
    query = f"PartitionKey eq '{PARTITION}'"
    if page_token:
        query += " and RowKey gt '" + page_token.replace("'", "''") + "'"
    found: list[tuple[str, dict[str, Any]]] = []
    async with table(settings, DO_NOT_CALL) as dnc:
        async for entity in dnc.query_entities(query, results_per_page=limit):
            found.append((entity["RowKey"], _view(entity)))
            if len(found) >= limit:
                break
    return [view for _, view in found], found[-1][0] if len(found) >= limit else None


async def key_report(settings: Settings) -> dict[str, int]:
    """Rows per key id (`raw` = not yet hashed); markers of ids with no rows left are removed."""
    counts: dict[str, int] = {}
    async with table(settings, DO_NOT_CALL) as dnc:
        async for entity in dnc.query_entities(f"PartitionKey eq '{PARTITION}'", select=["RowKey", "key_id"]):
            key_id = entity.get("key_id") or (RAW_KEY_ID if entity["RowKey"].startswith("+") else "unknown")
            counts[key_id] = counts.get(key_id, 0) + 1
        async for marker in dnc.query_entities(f"PartitionKey eq '{KEYS_PARTITION}'", select=["RowKey"]):
            if marker["RowKey"] not in counts:
                await dnc.delete_entity(KEYS_PARTITION, marker["RowKey"])
    return counts


async def migrate_raw_rows(settings: Settings) -> int:
    """Re-key every row still keyed by the raw number; returns how many were moved."""
    moved = 0
    async with table(settings, DO_NOT_CALL) as dnc:
        lookup = _Lookup(dnc, hash_keys(settings), read_raw=True)
        raw = [dict(e) async for e in dnc.query_entities(_RAW_RANGE)]
        for entity in raw:
            await lookup.rekey(entity, entity["RowKey"])
            moved += 1
    return moved

"""The do-not-call list: one row per E.164 number, checked before every campaign dial."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from callcenter.config import Settings
from callcenter.errors import NotFound
from callcenter.store.calls import now_iso
from callcenter.store.tables import table

DO_NOT_CALL = "donotcall"
PARTITION = "dnc"
MAX_PAGE = 500


def _view(entity: Any) -> dict[str, Any]:
    return {
        "number": entity["RowKey"],
        "added_at": entity.get("added_at", ""),
        "source": entity.get("source", ""),
        "reason": entity.get("reason", ""),
        "call_id": entity.get("call_id", ""),
    }


async def add_number(
    settings: Settings, number: str, *, source: str, reason: str = "", call_id: str = ""
) -> dict[str, Any]:
    """Put `number` on the list (adding it again keeps the first entry's time and source)."""
    async with table(settings, DO_NOT_CALL) as dnc:
        try:
            return _view(await dnc.get_entity(PARTITION, number))
        except ResourceNotFoundError:
            pass
        entity = {
            "PartitionKey": PARTITION,
            "RowKey": number,
            "added_at": now_iso(),
            "source": source,
            "reason": reason,
            "call_id": call_id,
        }
        await dnc.upsert_entity(entity)
    return _view(entity)


async def remove_number(settings: Settings, number: str) -> None:
    """Take `number` off the list.

    Raises:
        NotFound: the number is not on the list.
    """
    async with table(settings, DO_NOT_CALL) as dnc:
        try:
            await dnc.get_entity(PARTITION, number)
        except ResourceNotFoundError:
            raise NotFound(f"{number} is not on the do-not-call list", code="not_on_list") from None
        await dnc.delete_entity(PARTITION, number)


async def get_number(settings: Settings, number: str) -> dict[str, Any]:
    """Raises NotFound when `number` is not on the list."""
    async with table(settings, DO_NOT_CALL) as dnc:
        try:
            return _view(await dnc.get_entity(PARTITION, number))
        except ResourceNotFoundError:
            raise NotFound(f"{number} is not on the do-not-call list", code="not_on_list") from None


async def listed(settings: Settings, numbers: Iterable[str]) -> set[str]:
    """Which of `numbers` are on the list (point reads: the list may be far longer than a batch)."""
    wanted = sorted(set(numbers))
    if not wanted:
        return set()
    async with table(settings, DO_NOT_CALL) as dnc:

        async def check(number: str) -> str | None:
            try:
                await dnc.get_entity(PARTITION, number, select=["RowKey"])
            except ResourceNotFoundError:
                return None
            return number

        found = await asyncio.gather(*(check(n) for n in wanted))
    return {n for n in found if n}


async def list_numbers(
    settings: Settings, limit: int = 100, page_token: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the list in number order, with the token of the next page."""
    query = f"PartitionKey eq '{PARTITION}'"
    if page_token:
        query += " and RowKey gt '" + page_token.replace("'", "''") + "'"
    found: list[dict[str, Any]] = []
    async with table(settings, DO_NOT_CALL) as dnc:
        async for entity in dnc.query_entities(query, results_per_page=limit):
            found.append(_view(entity))
            if len(found) >= limit:
                break
    return found, found[-1]["number"] if len(found) >= limit else None

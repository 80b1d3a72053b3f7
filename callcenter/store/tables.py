"""Table Storage clients from settings: a connection string (Azurite locally) or an endpoint + Entra ID."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceExistsError

from callcenter.config import Settings
from callcenter.errors import FeatureNotConfigured
from callcenter.identity import get_credential

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient, TableServiceClient

CALLS = "calls"
CALL_EVENTS = "callevents"
SEEN_EVENTS = "seenevents"
TABLES = (CALLS, CALL_EVENTS, SEEN_EVENTS, "callnotices")

_created: set[tuple[str, str]] = set()
_lock = asyncio.Lock()


def _service(settings: Settings) -> TableServiceClient:
    from azure.data.tables.aio import TableServiceClient  # lazily: the async SDK is slow to import

    if settings.tables_connection:
        return TableServiceClient.from_connection_string(settings.tables_connection)
    if settings.tables_endpoint:
        return TableServiceClient(settings.tables_endpoint, credential=get_credential())
    raise FeatureNotConfigured(
        "call records are not configured: set CALLCENTER_TABLES_CONNECTION or CALLCENTER_TABLES_ENDPOINT"
    )


@asynccontextmanager
async def table(settings: Settings, name: str) -> AsyncIterator[TableClient]:
    """A client for table `name`, created on first use by this process."""
    async with _service(settings) as service:
        key = (settings.tables_connection or settings.tables_endpoint or "", name)
        if key not in _created:
            async with _lock:
                with contextlib.suppress(ResourceExistsError):
                    await service.create_table(name)
                _created.add(key)
        yield service.get_table_client(name)


def forget_created_tables() -> None:
    _created.clear()


def entity_without_metadata(entity: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(entity).items() if k not in {"PartitionKey", "RowKey", "etag", "Timestamp"}}

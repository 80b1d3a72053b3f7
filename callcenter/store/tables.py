"""Table Storage clients from settings: a connection string (Azurite locally) or an endpoint + Entra ID.

One service client (and so one pool of HTTP connections) per event loop and account
(`callcenter.pooled`): a client costs a new connection per request otherwise, a third of each
request's CPU.
"""

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
from callcenter.pooled import loop_client

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient, TableServiceClient

CALLS = "calls"
CALL_EVENTS = "callevents"
SEEN_EVENTS = "seenevents"
TABLES = (CALLS, CALL_EVENTS, SEEN_EVENTS, "callnotices")

_created: set[tuple[str, str]] = set()
_lock = asyncio.Lock()


def _new_service(settings: Settings) -> TableServiceClient:
    import urllib.request

    from azure.core.pipeline.transport import AioHttpTransport
    from azure.data.tables.aio import TableServiceClient  # lazily: the async SDK is slow to import

    # With proxy settings trusted, aiohttp re-reads the proxy environment and ~/.netrc on every
    # request (a tenth of a campaign dial's CPU); trust them only when a proxy is configured at all.
    transport = AioHttpTransport(use_env_settings=bool(urllib.request.getproxies()))
    if settings.tables_connection:
        return TableServiceClient.from_connection_string(settings.tables_connection, transport=transport)
    if settings.tables_endpoint:
        return TableServiceClient(settings.tables_endpoint, credential=get_credential(), transport=transport)
    raise FeatureNotConfigured(
        "call records are not configured: set CALLCENTER_TABLES_CONNECTION or CALLCENTER_TABLES_ENDPOINT"
    )


async def _service(settings: Settings) -> TableServiceClient:
    account = settings.tables_connection or settings.tables_endpoint or ""
    return await loop_client(("tables", account), lambda: _new_service(settings), lambda service: service.close())


@asynccontextmanager
async def table(settings: Settings, name: str) -> AsyncIterator[TableClient]:
    """A client for table `name` on this loop's shared connection pool, creating the table on first use."""
    service = await _service(settings)
    account = settings.tables_connection or settings.tables_endpoint or ""
    if (account, name) not in _created:
        async with _lock:
            with contextlib.suppress(ResourceExistsError):
                await service.create_table(name)
            _created.add((account, name))
    # Kept per loop too: building a TableClient (its pipeline of policies) cost a twelfth of the host's
    # CPU under load. It shares the service's transport, which the service closes.
    yield await loop_client(("table", account, name), lambda: service.get_table_client(name), _leave_open)


async def _leave_open(client: TableClient) -> None:
    """Table clients share their service's transport: closing the service closes it."""


def forget_created_tables() -> None:
    _created.clear()


def entity_without_metadata(entity: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(entity).items() if k not in {"PartitionKey", "RowKey", "etag", "Timestamp"}}

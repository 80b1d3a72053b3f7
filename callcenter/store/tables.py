"""Table Storage clients from settings: a connection string (Azurite locally) or an endpoint + Entra ID.

One service client (and so one pool of HTTP connections) per event loop and account: a client
costs a new connection per request otherwise, a third of each request's CPU. The client lives as
long as its loop; `asyncio.run` (the Functions worker, uvicorn, tests) closes it on the way out
through the loop's async-generator shutdown, so no connection outlives its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
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
# loop -> account -> (service client, the generator that closes it when the loop shuts down)
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, tuple[TableServiceClient, Any]]] = (
    weakref.WeakKeyDictionary()
)


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


async def _lifetime(service: TableServiceClient) -> AsyncGenerator[TableServiceClient, None]:
    """Hands out `service` once and closes it when the loop finalizes its async generators."""
    try:
        yield service
    finally:
        await service.close()


async def _service(settings: Settings) -> TableServiceClient:
    account = settings.tables_connection or settings.tables_endpoint or ""
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    if account not in per_loop:
        service = _new_service(settings)
        keeper = _lifetime(service)
        await keeper.__anext__()  # registers the generator with the loop's shutdown_asyncgens
        per_loop[account] = (service, keeper)
    return per_loop[account][0]


@asynccontextmanager
async def table(settings: Settings, name: str) -> AsyncIterator[TableClient]:
    """A client for table `name` on this loop's shared connection pool, creating the table on first use."""
    service = await _service(settings)
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

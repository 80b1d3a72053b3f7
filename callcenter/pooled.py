"""Clients shared by everything running on one event loop, closed when the loop shuts down.

A client per request costs a new connection each time and, for HTTPS, a new TLS context: loading
the CA bundle alone took a seventh of the function host's CPU under load when every call summary
built its own. A pooled client lives as long as its loop; `asyncio.run` (the Functions worker,
uvicorn, tests) closes it on the way out through the loop's async-generator shutdown, so no
connection outlives its loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")

# loop -> key -> (client, the generator that closes it when the loop shuts down)
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, tuple[Any, Any]]] = (
    weakref.WeakKeyDictionary()
)


async def _lifetime(client: T, close: Callable[[T], Awaitable[None]]) -> AsyncGenerator[T, None]:
    """Hands out `client` once and closes it when the loop finalizes its async generators."""
    try:
        yield client
    finally:
        await close(client)


async def loop_client(key: Hashable, create: Callable[[], T], close: Callable[[T], Awaitable[None]]) -> T:
    """This loop's client for `key`, made by `create` on first use and closed with `close` at loop shutdown."""
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    if key not in per_loop:
        created = create()
        keeper = _lifetime(created, close)
        await keeper.__anext__()  # registers the generator with the loop's shutdown_asyncgens
        per_loop[key] = (created, keeper)
    client: T = per_loop[key][0]
    return client


async def http_client() -> httpx.AsyncClient:
    """The loop's HTTP client (Azure OpenAI, HTTP tools); callers pass their own timeout per request."""
    import httpx  # lazily: only sessions, summaries and HTTP tools need it, and it is slow to import

    return await loop_client("httpx", httpx.AsyncClient, lambda client: client.aclose())

"""Pooled clients: one per event loop and key, closed when the loop shuts down."""

from __future__ import annotations

import asyncio

from callcenter.pooled import http_client, loop_client


class Client:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


async def _get(key: str) -> Client:
    return await loop_client(key, Client, Client.close)


def test_a_loop_reuses_its_client_per_key_and_closes_them_at_shutdown() -> None:
    async def main() -> tuple[Client, Client, Client]:
        first, again, other = await _get("a"), await _get("a"), await _get("b")
        assert first is again and first is not other
        assert not first.closed
        return first, again, other

    clients = asyncio.run(main())
    assert all(client.closed for client in clients)


def test_each_loop_gets_its_own_client() -> None:
    one, two = asyncio.run(_get("a")), asyncio.run(_get("a"))
    assert one is not two and one.closed and two.closed


def test_the_http_client_is_shared_on_a_loop_and_closed_with_it() -> None:
    async def main() -> object:
        client = await http_client()
        assert client is await http_client()
        return client

    client = asyncio.run(main())
    assert client.is_closed  # type: ignore[attr-defined]

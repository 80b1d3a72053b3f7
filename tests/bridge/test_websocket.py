"""Push connections deliver every message whole and in order, and refuse what websockets refuses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode, Frame, Opcode

from bridge.websocket import Message, PushClientConnection, PushServerConnection


@contextlib.asynccontextmanager
async def push_server(handler_set_after: int = 0) -> AsyncIterator[tuple[int, list[Message], asyncio.Queue]]:
    """An echo-less server: reads `handler_set_after` messages with `receive`, then pushes the rest."""
    got: list[Message] = []
    connections: asyncio.Queue[PushServerConnection] = asyncio.Queue()

    async def handle(connection: ServerConnection) -> None:
        assert isinstance(connection, PushServerConnection)
        await connections.put(connection)
        with contextlib.suppress(ConnectionClosed):
            for _ in range(handler_set_after):
                got.append(await connection.receive())
            connection.set_handler(got.append)
        await connection.wait_closed()

    async with serve(handle, "127.0.0.1", 0, create_connection=PushServerConnection, max_size=4096) as server:
        port = server.sockets[0].getsockname()[1]
        yield port, got, connections


async def wait_for(predicate, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_messages_read_before_the_handler_and_queued_meanwhile_arrive_once_in_order() -> None:
    async with push_server(handler_set_after=2) as (port, got, _), connect(f"ws://127.0.0.1:{port}") as client:
        for i in range(100):  # more than the inbox holds before it pauses reading
            await client.send(f"m{i}")
        await client.send(b"\x00\x01")
        await wait_for(lambda: len(got) == 101)
    assert got == [f"m{i}" for i in range(100)] + [b"\x00\x01"]


async def test_fragmented_messages_are_delivered_whole() -> None:
    async with push_server() as (port, got, _), connect(f"ws://127.0.0.1:{port}") as client:
        await client.send(["frag", "mented ", "text"])
        await client.send([b"\x01", b"\x02"])
        await client.send("after")
        await wait_for(lambda: len(got) == 3)
    assert got == ["fragmented text", b"\x01\x02", "after"]


async def test_invalid_utf8_in_a_text_frame_closes_with_invalid_data() -> None:
    async with push_server() as (port, got, connections), connect(f"ws://127.0.0.1:{port}") as client:
        connection = await asyncio.wait_for(connections.get(), 5)
        await client.send("ok")
        await wait_for(lambda: got == ["ok"])
        # A text frame of invalid UTF-8, written below the client's API (which would refuse to build it).
        client.protocol.send_frame(Frame(Opcode.TEXT, b"\xff\xfe"))
        client.send_data()
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert connection.protocol.close_sent.code == CloseCode.INVALID_DATA
    assert got == ["ok"]


async def test_a_message_over_max_size_closes_with_message_too_big() -> None:
    async with push_server() as (port, got, connections), connect(f"ws://127.0.0.1:{port}") as client:
        connection = await asyncio.wait_for(connections.get(), 5)
        with contextlib.suppress(ConnectionClosed):
            await client.send(["x" * 3000, "y" * 3000])  # 6000 bytes in two fragments; the limit is 4096
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert connection.protocol.close_sent.code == CloseCode.MESSAGE_TOO_BIG
    assert got == []


async def test_a_failing_handler_closes_the_connection_with_internal_error() -> None:
    async with push_server() as (port, _, connections), connect(f"ws://127.0.0.1:{port}") as client:
        connection = await asyncio.wait_for(connections.get(), 5)
        connection.set_handler(lambda message: 1 / 0)
        await client.send("boom")
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert connection.protocol.close_sent.code == CloseCode.INTERNAL_ERROR


async def test_send_now_writes_in_order_and_reports_a_closed_connection() -> None:
    received: list[Message] = []
    done = asyncio.Event()

    async def handle(connection: ServerConnection) -> None:
        async for message in connection:
            received.append(message)
            if message == "last":
                done.set()

    async with serve(handle, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = await connect(f"ws://127.0.0.1:{port}", create_connection=PushClientConnection)
        assert isinstance(client, PushClientConnection)
        assert all(client.send_now(f"n{i}") for i in range(50))
        assert client.send_now("last")
        await asyncio.wait_for(done.wait(), 5)
        await client.close()
        assert client.send_now("too late") is False
    assert received == [f"n{i}" for i in range(50)] + ["last"]


async def test_receive_raises_connection_closed_when_the_peer_leaves() -> None:
    async with push_server(handler_set_after=1) as (port, _, connections):
        client = await connect(f"ws://127.0.0.1:{port}")
        connection = await asyncio.wait_for(connections.get(), 5)
        await client.close()
        await asyncio.wait_for(connection.wait_closed(), 5)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(connection.receive(), 5)

"""Push connections deliver every message whole and in order, refuse bad frames with the right
close code, close cleanly, and bound memory against a peer that stops reading."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections.abc import AsyncIterator

import pytest
from picows import WSListener, WSUpgradeRequest, ws_create_server
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed as PeerClosed
from websockets.frames import Frame, Opcode

from bridge.websocket import CloseCode, ConnectionClosed, ConnectionState, Message, PushConnection


@contextlib.asynccontextmanager
async def push_server(
    handler_set_after: int = 0, max_message: int = 4096, max_write_buffer: int = 1 << 20
) -> AsyncIterator[tuple[int, list[Message], asyncio.Queue[PushConnection]]]:
    """A picows server of push connections: reads `handler_set_after` messages with `receive`, then pushes."""
    got: list[Message] = []
    connections: asyncio.Queue[PushConnection] = asyncio.Queue()
    tasks: set[asyncio.Task[None]] = set()

    async def read(connection: PushConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            for _ in range(handler_set_after):
                got.append(await connection.receive())
            connection.set_handler(got.append)

    def opened(connection: PushConnection) -> None:
        connections.put_nowait(connection)
        tasks.add(asyncio.get_running_loop().create_task(read(connection)))

    def accept(request: WSUpgradeRequest) -> WSListener:
        connection = PushConnection(
            max_message=max_message, max_write_buffer=max_write_buffer, close_timeout=1.0, name="test"
        )
        connection.on_open = opened
        return connection

    server = await ws_create_server(accept, "127.0.0.1", 0, max_frame_size=max_message)
    try:
        yield server.sockets[0].getsockname()[1], got, connections
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


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
        assert connection.close_sent_code == CloseCode.INVALID_DATA
        await asyncio.wait_for(client.wait_closed(), 5)
        assert client.close_code == CloseCode.INVALID_DATA
    assert got == ["ok"]


async def test_a_fragmented_message_over_max_size_closes_with_message_too_big() -> None:
    async with push_server() as (port, got, connections), connect(f"ws://127.0.0.1:{port}") as client:
        connection = await asyncio.wait_for(connections.get(), 5)
        with contextlib.suppress(PeerClosed):
            await client.send(["x" * 3000, "y" * 3000])  # 6000 bytes in two fragments; the limit is 4096
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert connection.close_sent_code == CloseCode.MESSAGE_TOO_BIG
    assert got == []


async def test_a_single_frame_over_max_size_closes_with_message_too_big() -> None:
    async with push_server() as (port, got, connections), connect(f"ws://127.0.0.1:{port}") as client:
        connection = await asyncio.wait_for(connections.get(), 5)
        with contextlib.suppress(PeerClosed):
            await client.send("z" * 5000)
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert connection.close_sent_code == CloseCode.MESSAGE_TOO_BIG
        await asyncio.wait_for(client.wait_closed(), 5)
        assert client.close_code == CloseCode.MESSAGE_TOO_BIG
    assert got == []


async def test_a_continuation_without_a_first_frame_is_a_protocol_error() -> None:
    async with push_server() as (port, got, connections), connect(f"ws://127.0.0.1:{port}") as client:
        connection = await asyncio.wait_for(connections.get(), 5)
        client.protocol.send_frame(Frame(Opcode.CONT, b"orphan"))
        client.send_data()
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert connection.close_sent_code == CloseCode.PROTOCOL_ERROR
    assert got == []


async def test_a_failing_handler_closes_the_connection_with_internal_error() -> None:
    async with push_server() as (port, _, connections), connect(f"ws://127.0.0.1:{port}") as client:
        connection = await asyncio.wait_for(connections.get(), 5)
        connection.set_handler(lambda message: 1 / 0)
        await client.send("boom")
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert connection.close_sent_code == CloseCode.INTERNAL_ERROR


async def test_close_sends_the_named_code_and_waits_for_the_peers_answer() -> None:
    async with push_server() as (port, _, connections), connect(f"ws://127.0.0.1:{port}") as client:
        connection = await asyncio.wait_for(connections.get(), 5)
        await asyncio.wait_for(connection.close(CloseCode.GOING_AWAY, "bridge shutting down"), 5)
        assert connection.state is ConnectionState.CLOSED
        assert connection.close_code == CloseCode.GOING_AWAY  # the peer echoed it
        await asyncio.wait_for(client.wait_closed(), 5)
        assert (client.close_code, client.close_reason) == (CloseCode.GOING_AWAY, "bridge shutting down")
        assert connection.send_now("too late") is False


async def test_a_peer_that_closes_first_gets_its_code_echoed() -> None:
    async with push_server() as (port, _, connections):
        client = await connect(f"ws://127.0.0.1:{port}")
        connection = await asyncio.wait_for(connections.get(), 5)
        await client.close(4000, "bye")  # an application code: answered with 1000
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert (connection.close_code, connection.close_reason) == (4000, "bye")
        assert connection.close_sent_code == CloseCode.NORMAL_CLOSURE


async def test_send_now_from_a_client_writes_in_order_and_reports_a_closed_connection() -> None:
    from picows import ws_connect

    received: list[str | bytes] = []
    done = asyncio.Event()

    async def handle(connection: ServerConnection) -> None:
        async for message in connection:
            received.append(message)
            if message == "last":
                done.set()

    async with serve(handle, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        _, client = await ws_connect(
            lambda: PushConnection(max_message=4096, max_write_buffer=1 << 20, close_timeout=1.0),
            f"ws://127.0.0.1:{port}",
        )
        assert isinstance(client, PushConnection)
        assert all(client.send_now(f"n{i}") for i in range(50))
        assert client.send_now("last")
        await asyncio.wait_for(done.wait(), 5)
        await asyncio.wait_for(client.close(), 5)
        assert client.close_code == CloseCode.NORMAL_CLOSURE
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


async def test_a_peer_that_stops_reading_is_cut_off_before_its_queue_passes_the_bound() -> None:
    limit = 256 * 1024
    async with push_server(max_write_buffer=limit) as (port, _, connections):
        # A raw client that completes the handshake, then never reads again.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        await reader.readuntil(b"\r\n\r\n")
        connection = await asyncio.wait_for(connections.get(), 5)
        frame = "a" * 1300  # an ACS audio frame's size
        transport = connection._transport
        assert transport is not None
        largest = 0
        for sent in range(100_000):  # bounded: kernel buffers hold a few MB at most
            if not connection.send_now(frame):
                break
            largest = max(largest, transport.underlying_transport.get_write_buffer_size())
            if sent % 256 == 0:
                await asyncio.sleep(0)  # let the loop flush what the kernel still takes
        else:
            raise AssertionError("a peer that never reads was never cut off")
        assert largest <= limit + 2 * len(frame)
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert connection.close_sent_code == CloseCode.POLICY_VIOLATION
        writer.close()

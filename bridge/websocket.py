"""websockets connections that hand each message to a callback: the audio path's socket layer.

websockets' asyncio connections queue every incoming frame in an assembler and wake a reader task
through a future; at 50 audio frames a second per direction per call that queue, the future and the
task switch cost more than the relay's own work. These subclasses (plugged in through the library's
`create_connection` hook, so the handshake, `process_request`, keepalive pings, close codes and
`max_size` stay websockets' own) deliver each complete text or binary message straight from
`data_received` to a handler, and write with `send_now`, which frames and hands the bytes to the
transport without awaiting.

Until a handler is set, messages wait in a small inbox read with `receive` (the relay reads
`AudioMetadata` that way, and opens the model session while audio already arrives); `set_handler`
first replays the inbox in order. `recv()` and `async for` are not used on these connections.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import CLOSED, OPEN, Event

log = logging.getLogger("bridge.websocket")

Message = str | bytes
MessageHandler = Callable[[Message], None]

# Messages the inbox holds before reading is paused (TCP pushes back on the sender until the
# relay catches up). Same bound as websockets' own receive queue had (`max_queue=64`).
INBOX_HIGH = 64
INBOX_LOW = 16


class _CallbackMessages:
    """Mixin for `ServerConnection` / `ClientConnection`: messages go to a handler, not a queue."""

    protocol: Any
    transport: asyncio.Transport
    logger: Any

    def _init_callbacks(self) -> None:
        self._handler: MessageHandler | None = None  # set by the relay once it is ready for audio
        self._inbox: collections.deque[Message] = collections.deque()  # messages before a handler
        self._inbox_waiter: asyncio.Future[None] | None = None  # `receive` waiting for a message
        self._inbox_paused = False  # reading paused because the inbox is full
        self._fragments: list[bytes | bytearray | memoryview] = []  # frames of a fragmented message so far
        self._fragmented_text = False  # the fragmented message is text
        self._failed = False  # we closed the connection for a bad message: deliver nothing more

    # --- receiving ---------------------------------------------------------------------------

    def process_event(self, event: Event) -> None:
        """Deliver data frames ourselves; the handshake, pings, pongs and close go to websockets."""
        if not isinstance(event, Frame) or event.opcode not in _DATA_OPCODES:
            super().process_event(event)  # type: ignore[misc]
            return
        if self._failed:
            return
        if not event.fin:
            if event.opcode is not Opcode.CONT:
                self._fragmented_text = event.opcode is Opcode.TEXT
            self._fragments.append(event.data)
            return
        data: bytes | bytearray | memoryview
        if event.opcode is Opcode.CONT:
            data = b"".join([*self._fragments, event.data])
            text = self._fragmented_text
            self._fragments.clear()
        else:
            data, text = event.data, event.opcode is Opcode.TEXT
        if text:
            try:
                message: Message = str(data, "utf-8")
            except UnicodeDecodeError:
                self._fail(CloseCode.INVALID_DATA, "invalid UTF-8 in a text frame")
                return
        else:
            message = bytes(data)
        handler = self._handler
        if handler is None:
            self._queue(message)
            return
        try:
            handler(message)
        except Exception:  # the handler is the relay's; a bug there must not break the connection's loop
            log.exception("message handler failed")
            self._fail(CloseCode.INTERNAL_ERROR, "")

    def set_handler(self, handler: MessageHandler | None) -> None:
        """Deliver messages to `handler` from now on, after the ones already waiting (in order)."""
        self._handler = handler
        while handler is not None and self._inbox and self._handler is handler:
            handler(self._inbox.popleft())
        self._resume_if_drained()

    async def receive(self) -> Message:
        """The next message while no handler is set.

        Raises:
            ConnectionClosed: the connection closed before a message arrived.
        """
        while not self._inbox:
            if self.protocol.state is CLOSED:
                raise self.protocol.close_exc
            self._inbox_waiter = asyncio.get_running_loop().create_future()
            try:
                await self._inbox_waiter
            finally:
                self._inbox_waiter = None
        message = self._inbox.popleft()
        self._resume_if_drained()
        return message

    def _queue(self, message: Message) -> None:
        self._inbox.append(message)
        self._wake()
        if len(self._inbox) >= INBOX_HIGH and not self._inbox_paused:
            self._inbox_paused = True
            self.transport.pause_reading()

    def _resume_if_drained(self) -> None:
        if self._inbox_paused and len(self._inbox) <= INBOX_LOW:
            self._inbox_paused = False
            self.transport.resume_reading()

    def _wake(self) -> None:
        if self._inbox_waiter is not None and not self._inbox_waiter.done():
            self._inbox_waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)  # type: ignore[misc]
        self._wake()

    # --- sending -----------------------------------------------------------------------------

    def send_now(self, text: str) -> bool:
        """Write one text message without awaiting; False (nothing sent) unless the connection is open.

        No backpressure: audio goes out at real-time rate, and a peer that stops reading is closed by
        the keepalive ping timeout long before its buffer could matter (20 s of audio is ~1.3 MB).
        """
        if self.protocol.state is not OPEN:
            return False
        self.protocol.send_text(text.encode())
        try:
            self.send_data()  # type: ignore[attr-defined]
        except OSError:  # the socket is gone; connection_lost follows and ends the call
            return False
        return True

    def _fail(self, code: CloseCode, reason: str) -> None:
        """Close the connection with `code` (a broken peer or a relay bug), like websockets does."""
        self._failed = True
        self.protocol.fail(code, reason)
        try:
            self.send_data()  # type: ignore[attr-defined]
        except OSError:
            self.transport.abort()


_DATA_OPCODES = frozenset({Opcode.TEXT, Opcode.BINARY, Opcode.CONT})


class PushServerConnection(_CallbackMessages, ServerConnection):
    """A websockets server connection that pushes messages to a handler (the ACS media side)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_callbacks()


class PushClientConnection(_CallbackMessages, ClientConnection):
    """A websockets client connection that pushes messages to a handler (the Realtime side)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_callbacks()

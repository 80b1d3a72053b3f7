"""The bridge's WebSocket layer: picows connections that hand each message to a callback.

picows parses frames in C and calls `on_ws_frame` with a view into its read buffer: no per-message
task, future or queue. This module adapts it to what the relay needs, so the relay never sees the
library: `PushConnection` delivers whole text/binary messages to a handler (reassembling fragments,
checking UTF-8 and the message size), writes with `send_now` without awaiting, closes with a named
code and waits for the peer's answer, and bounds memory both ways:

- reading: until a handler is set, messages wait in a small inbox read with `receive` (the relay
  reads `AudioMetadata` that way and opens the model session while audio already arrives); a full
  inbox pauses reading, so TCP pushes back on the sender;
- writing: a peer that stops reading fills the transport's buffer; past `max_write_buffer` bytes the
  connection is aborted (a close frame could not get through a full buffer either), so a stalled
  caller or model costs at most that much memory, not a growing queue of audio.

Keepalive pings (when the peer is idle), pongs to the peer's pings and the 1009 for an oversized
frame are picows' own. The server and client factories live in `bridge/server.py` and
`bridge/model_connection.py`.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import logging
from collections.abc import Callable

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport

log = logging.getLogger("bridge.websocket")

Message = str | bytes
MessageHandler = Callable[[Message], None]

# Messages the inbox holds before reading is paused (TCP pushes back on the sender until the
# relay catches up).
INBOX_HIGH = 64
INBOX_LOW = 16
# Transport write buffer watermarks: above HIGH picows calls `pause_writing`, and from then on each
# write checks the buffered size against the connection's `max_write_buffer`.
WRITE_HIGH = 64 * 1024
WRITE_LOW = 16 * 1024


class CloseCode(enum.IntEnum):
    """The close codes the bridge sends or reads (RFC 6455 section 7.4.1; 1013 from the IANA registry)."""

    NORMAL_CLOSURE = 1000  # the call ended normally (hang-up, max duration, idle)
    GOING_AWAY = 1001  # the bridge is draining (SIGTERM)
    PROTOCOL_ERROR = 1002  # a broken WebSocket frame sequence
    UNSUPPORTED_DATA = 1003  # a binary frame where only text is spoken
    ABNORMAL_CLOSURE = 1006  # never sent: the connection dropped without a close frame
    INVALID_DATA = 1007  # a text frame that is not UTF-8
    POLICY_VIOLATION = 1008  # a bad frame, late metadata, an unknown or duplicate call, a stalled reader
    MESSAGE_TOO_BIG = 1009  # a message over the size limit
    INTERNAL_ERROR = 1011  # a bridge bug or the model is unavailable
    TRY_AGAIN_LATER = 1013  # at capacity: another replica, please
    # Browser endpoint refusals (a browser cannot read a refused handshake's HTTP status): 4000 + status.
    UNAUTHORIZED = 4401  # missing, forged, expired or reused web session token
    FORBIDDEN = 4403  # a token for another agent, or an origin not allowed
    RATE_LIMITED = 4429  # too many browser sessions from one client


class ConnectionState(enum.Enum):
    """Where a connection is in its life; only OPEN sends messages."""

    OPEN = "open"  # the handshake is done
    CLOSING = "closing"  # we sent a close frame and wait for the peer's
    CLOSED = "closed"  # the TCP connection is gone


class ConnectionClosed(Exception):
    """The connection closed before what was awaited arrived."""


class PushConnection(WSListener):
    """One WebSocket connection (server or client side) that pushes messages to a handler."""

    def __init__(self, *, max_message: int, max_write_buffer: int, close_timeout: float, name: str = "") -> None:
        super().__init__()
        self.name = name  # what the connection is for, in log lines (call id, "model")
        self.state = ConnectionState.OPEN
        self.close_code: int | None = None  # the code the peer sent; None until it did
        self.close_reason = ""  # the reason the peer sent
        self.close_sent_code: CloseCode | None = None  # the code we sent (or picows sent for a bad frame)
        self.on_open: Callable[[PushConnection], None] | None = None  # called once the handshake is done
        self._transport: WSTransport | None = None  # set in `on_ws_connected`
        self._max_message = max_message  # bytes; a bigger (reassembled) message is closed with 1009
        self._max_write_buffer = max_write_buffer  # bytes queued for a slow peer before we abort
        self._close_timeout = close_timeout  # how long `close` waits for the peer's close frame
        self._handler: MessageHandler | None = None  # set by the relay once it is ready
        self._inbox: collections.deque[Message] = collections.deque()  # messages before a handler
        self._inbox_waiter: asyncio.Future[None] | None = None  # `receive` waiting for a message
        self._inbox_paused = False  # reading paused because the inbox is full
        self._fragments: list[bytes] = []  # frames of a fragmented message so far
        self._fragments_size = 0  # their total size
        self._fragmented_text = False  # the fragmented message is text
        self._write_paused = False  # the transport's buffer is above WRITE_HIGH
        self._closed = asyncio.Event()  # set in `on_ws_disconnected`

    # --- picows callbacks --------------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._transport = transport
        transport.underlying_transport.set_write_buffer_limits(high=WRITE_HIGH, low=WRITE_LOW)
        if self.on_open is not None:
            self.on_open(self)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type
        if transport.is_close_frame_sent and self.state is ConnectionState.OPEN:
            self._note_refusal(transport)  # picows refused a frame itself; it goes on parsing the rest
        if self.state is not ConnectionState.OPEN:
            if msg_type == WSMsgType.CLOSE:
                self._handle_close_frame(frame)
            return  # closing: what the peer still sends is not delivered
        if frame.fin and not self._fragments:
            if msg_type == WSMsgType.TEXT:
                try:
                    text = frame.get_payload_as_utf8_text()
                except UnicodeDecodeError:
                    self.fail(CloseCode.INVALID_DATA, "invalid UTF-8 in a text frame")
                    return
                self._deliver(text)
                return
            if msg_type == WSMsgType.BINARY:
                self._deliver(frame.get_payload_as_bytes())
                return
        if msg_type in _DATA_TYPES:
            self._handle_fragment(frame)
        elif msg_type == WSMsgType.CLOSE:
            self._handle_close_frame(frame)
        # PING is answered by picows (auto pong); PONG only resets picows' keepalive.

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.state is ConnectionState.OPEN:
            self._note_refusal(transport)
        self.state = ConnectionState.CLOSED
        self._closed.set()
        self._wake()

    def _note_refusal(self, transport: WSTransport) -> None:
        """picows closed the connection itself (a frame too big, a bad opcode): keep its code."""
        self.state = ConnectionState.CLOSING
        handshake = transport.close_handshake
        if self.close_sent_code is None and handshake is not None and handshake.sent is not None:
            self.close_sent_code = _code(handshake.sent.code.value)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False

    # --- receiving ---------------------------------------------------------------------------

    def _handle_fragment(self, frame: WSFrame) -> None:
        """A frame of a fragmented message (RFC 6455 section 5.4): collect, then deliver whole."""
        starts = frame.msg_type != WSMsgType.CONTINUATION
        if starts == bool(self._fragments):  # a new message inside one, or a continuation of nothing
            self.fail(CloseCode.PROTOCOL_ERROR, "unexpected continuation frame")
            return
        if starts:
            self._fragmented_text = frame.msg_type == WSMsgType.TEXT
        self._fragments_size += frame.payload_size
        if self._fragments_size > self._max_message:
            self.fail(CloseCode.MESSAGE_TOO_BIG, "message too big")
            return
        self._fragments.append(frame.get_payload_as_bytes())
        if not frame.fin:
            return
        data = b"".join(self._fragments)
        self._fragments.clear()
        self._fragments_size = 0
        if not self._fragmented_text:
            self._deliver(data)
            return
        try:
            text = data.decode()
        except UnicodeDecodeError:
            self.fail(CloseCode.INVALID_DATA, "invalid UTF-8 in a text frame")
            return
        self._deliver(text)

    def _deliver(self, message: Message) -> None:
        handler = self._handler
        if handler is None:
            self._queue(message)
            return
        try:
            handler(message)
        except Exception:  # the handler is the relay's; a bug there must not break the event loop
            log.exception("%s: message handler failed", self.name)
            self.fail(CloseCode.INTERNAL_ERROR, "")

    def _handle_close_frame(self, frame: WSFrame) -> None:
        """The peer's close frame: answer it (echoing its code) unless we started, then hang up."""
        code = frame.get_close_code().value
        self.close_code = code if code else None
        self.close_reason = frame.get_close_reason()
        transport = self._transport
        assert transport is not None
        if self.state is ConnectionState.OPEN:
            self.state = ConnectionState.CLOSING
            answer = _code(code) if code in _ECHOED else CloseCode.NORMAL_CLOSURE
            self.close_sent_code = answer
            transport.send_close(WSCloseCode(answer.value), None)
        transport.disconnect()  # after the close frames are flushed

    @property
    def peer_host(self) -> str:
        """The peer's IP address ("" before the handshake or when unknown)."""
        if self._transport is None:
            return ""
        peer = self._transport.underlying_transport.get_extra_info("peername")
        return str(peer[0]) if isinstance(peer, tuple) and peer else ""

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
            if self.state is not ConnectionState.OPEN:
                raise ConnectionClosed(f"closed ({self.close_code})")
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
        if len(self._inbox) >= INBOX_HIGH and not self._inbox_paused and self._transport is not None:
            self._inbox_paused = True
            self._transport.underlying_transport.pause_reading()

    def _resume_if_drained(self) -> None:
        if self._inbox_paused and len(self._inbox) <= INBOX_LOW and self._transport is not None:
            self._inbox_paused = False
            if self.state is not ConnectionState.CLOSED:
                self._transport.underlying_transport.resume_reading()

    def _wake(self) -> None:
        if self._inbox_waiter is not None and not self._inbox_waiter.done():
            self._inbox_waiter.set_result(None)

    # --- sending and closing -----------------------------------------------------------------

    def send_now(self, text: str) -> bool:
        """Write one text message without awaiting; False (nothing sent) unless the connection is open.

        A peer that has stopped reading while `max_write_buffer` bytes wait for it is aborted here
        (logged; the caller's watcher sees the connection close and ends the call).
        """
        transport = self._transport
        if self.state is not ConnectionState.OPEN or transport is None:
            return False
        if self._write_paused and self._is_stalled(transport):
            queued = transport.underlying_transport.get_write_buffer_size()
            log.warning("%s: peer is not reading (%d bytes queued); aborting", self.name, queued)
            self.close_sent_code = CloseCode.POLICY_VIOLATION
            self.state = ConnectionState.CLOSING
            transport.disconnect(graceful=False)
            return False
        transport.send(WSMsgType.TEXT, text)
        return True

    def _is_stalled(self, transport: WSTransport) -> bool:
        return bool(transport.underlying_transport.get_write_buffer_size() > self._max_write_buffer)

    def fail(self, code: CloseCode, reason: str) -> None:
        """Close at once for a broken peer or a relay bug; deliver nothing more."""
        self._start_close(code, reason)
        asyncio.get_running_loop().call_later(self._close_timeout, self._abort)

    def _start_close(self, code: CloseCode, reason: str) -> None:
        transport = self._transport
        if self.state is not ConnectionState.OPEN or transport is None:
            return
        self.state = ConnectionState.CLOSING
        self.close_sent_code = code
        transport.send_close(WSCloseCode(code.value), reason.encode()[:123])  # control frames: 125 bytes

    def _abort(self) -> None:
        if self.state is not ConnectionState.CLOSED and self._transport is not None:
            self._transport.disconnect(graceful=False)

    async def close(self, code: CloseCode = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Send a close frame, wait up to the close timeout for the peer's, then hang up."""
        self._start_close(code, reason)
        if self.state is ConnectionState.CLOSED:
            return
        try:
            await asyncio.wait_for(self._closed.wait(), self._close_timeout)
        except TimeoutError:
            self._abort()
            await self._closed.wait()

    async def wait_closed(self) -> None:
        """Return once the TCP connection is gone."""
        await self._closed.wait()


_DATA_TYPES = frozenset({WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION})
# Codes worth echoing back when the peer closes first; anything else is answered with 1000.
_ECHOED = frozenset(code.value for code in CloseCode if code is not CloseCode.ABNORMAL_CLOSURE)


def _code(value: int) -> CloseCode:
    try:
        return CloseCode(value)
    except ValueError:
        return CloseCode.PROTOCOL_ERROR

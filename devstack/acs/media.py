"""ACS bidirectional media streaming, client side: the WebSocket ACS opens to the app's transport URL.

ACS connects with `x-ms-call-connection-id` / `x-ms-call-correlation-id` headers and a signed JWT in
`Authorization: Bearer` (issuer and keys as for callbacks, audience = the ACS resource id, valid for
24 hours, a new one per connection), sends one `AudioMetadata`, then an `AudioData` frame every 20 ms
(PCM16 mono, base64) and, only when the call's `mediaStreamingOptions.enableDtmfTones` is true,
`DtmfData` on key presses. With bidirectional streaming the server sends `AudioData` back (played into
the call) and `StopAudio` (drop what is queued). Unknown or malformed frames from the server are
counted and ignored, as ACS does not close a stream for them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

log = logging.getLogger("devstack.acs.media")
OPEN_TIMEOUT_SECONDS = 5.0
MAX_FRAME_CHARS = 1 << 20


class Speaker(Protocol):
    """Where the agent's audio goes (the handset)."""

    def play(self, pcm: bytes) -> None: ...

    def stop_audio(self) -> None: ...


class MediaStreamError(Exception):
    """The WebSocket could not be opened; `details` is the ACS `mediaStreamingStatusDetails` value."""

    def __init__(self, details: str, message: str) -> None:
        super().__init__(message)
        self.details = details


@dataclass
class StreamStats:
    """Counters for `GET /simulator/calls/{id}`."""

    frames_sent: int = 0
    silent_frames_sent: int = 0
    dtmf_sent: int = 0
    dtmf_not_streamed: int = 0  # key presses dropped because the call did not enable DTMF tones
    audio_messages_received: int = 0
    audio_bytes_received: int = 0
    stop_audio_received: int = 0
    bad_messages_received: int = 0
    close_code: int | None = None
    close_reason: str = ""
    kinds_received: dict[str, int] = field(default_factory=dict)


def _timestamp() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class MediaStream:
    """One media WebSocket for one call; owns the socket and the reader task."""

    def __init__(
        self,
        *,
        url: str,
        call_connection_id: str,
        correlation_id: str,
        participant_raw_id: str,
        sample_rate: int,
        speaker: Speaker,
        bidirectional: bool,
        on_closed_by_server: Callable[[int | None, str], Awaitable[None]],
        dtmf: bool = False,
        authorization: str = "",
    ) -> None:
        self.url = url
        self.call_connection_id = call_connection_id
        self.correlation_id = correlation_id
        self.participant_raw_id = participant_raw_id
        self.sample_rate = sample_rate
        self.subscription_id = str(uuid.uuid4())
        self.stats = StreamStats()
        self._speaker = speaker
        self._bidirectional = bidirectional
        self._dtmf = dtmf
        self._authorization = authorization  # "Bearer <JWT>", a fresh token per connection like ACS
        self._on_closed_by_server = on_closed_by_server
        self._socket: ClientConnection | None = None  # set by open(), cleared by close()
        self._reader: asyncio.Task[None] | None = None
        self._closing = False  # True once we decided to close: a close then is not the server's doing

    @property
    def is_open(self) -> bool:
        return self._socket is not None and not self._closing

    async def open(self) -> None:
        """Connect and send `AudioMetadata`.

        Raises:
            MediaStreamError: refused handshake, unreachable server or timeout.
        """
        headers = {
            "x-ms-call-connection-id": self.call_connection_id,
            "x-ms-call-correlation-id": self.correlation_id,
            "Authorization": self._authorization,
        }
        try:
            socket = await connect(
                self.url, additional_headers=headers, open_timeout=OPEN_TIMEOUT_SECONDS, max_size=MAX_FRAME_CHARS
            )
        except InvalidHandshake as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            details = {401: "authenticationFailure", 403: "forbidden", 400: "badRequest", 429: "tooManyRequests"}
            raise MediaStreamError(
                details.get(status or 0, "initialWebSocketConnectionFailed"), f"handshake refused ({status})"
            ) from None
        except (OSError, TimeoutError, InvalidURI) as exc:
            raise MediaStreamError("initialWebSocketConnectionFailed", f"cannot connect: {exc}") from None
        self._socket = socket
        metadata = {
            "kind": "AudioMetadata",
            "audioMetadata": {
                "subscriptionId": self.subscription_id,
                "encoding": "PCM",
                "sampleRate": self.sample_rate,
                "channels": 1,
                "length": self.sample_rate // 50 * 2,
            },
        }
        await socket.send(json.dumps(metadata))
        self._reader = asyncio.create_task(self._read(socket), name=f"acs-media-read-{self.call_connection_id}")

    async def send_audio(self, pcm: bytes, silent: bool) -> None:
        """One 20 ms frame of the far end's audio."""
        message = {
            "kind": "AudioData",
            "audioData": {
                "timestamp": _timestamp(),
                "participantRawID": self.participant_raw_id,
                "data": base64.b64encode(pcm).decode(),
                "silent": silent,
            },
        }
        if await self._send(json.dumps(message)):
            self.stats.frames_sent += 1
            self.stats.silent_frames_sent += int(silent)

    async def send_dtmf(self, digit: str) -> None:
        """One key press; dropped (and counted) unless the call enabled DTMF tones, as ACS does."""
        if not self._dtmf:
            self.stats.dtmf_not_streamed += 1
            return
        message = {
            "kind": "DtmfData",
            "dtmfData": {"timestamp": _timestamp(), "participantRawID": self.participant_raw_id, "data": digit},
        }
        if await self._send(json.dumps(message)):
            self.stats.dtmf_sent += 1

    async def _send(self, text: str) -> bool:
        socket = self._socket
        if socket is None or self._closing:
            return False
        try:
            await socket.send(text)
        except ConnectionClosed:
            return False
        return True

    async def close(self, code: int = 1000, reason: str = "call ended") -> None:
        """Close from our side (hang-up, stop streaming, transfer); idempotent."""
        self._closing = True
        socket, self._socket = self._socket, None
        if socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(socket.close(code, reason), timeout=OPEN_TIMEOUT_SECONDS)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for message in socket:
                self._handle(message)
        except ConnectionClosed:
            pass
        self.stats.close_code = socket.close_code
        self.stats.close_reason = socket.close_reason or ""
        if not self._closing:
            self._closing = True
            self._socket = None
            log.info("call %s: media socket closed by the server (%s)", self.call_connection_id, socket.close_code)
            await self._on_closed_by_server(socket.close_code, socket.close_reason or "")

    def _handle(self, message: str | bytes) -> None:
        try:
            body = json.loads(message)
            kind = body.get("kind") if isinstance(body, dict) else None
        except ValueError:
            kind = None
        if not isinstance(kind, str):
            self.stats.bad_messages_received += 1
            return
        self.stats.kinds_received[kind] = self.stats.kinds_received.get(kind, 0) + 1
        if kind == "AudioData" and self._bidirectional:
            data = (body.get("audioData") or {}).get("data") if isinstance(body.get("audioData"), dict) else None
            try:
                pcm = base64.b64decode(data, validate=True) if isinstance(data, str) else b""
            except (binascii.Error, ValueError):
                pcm = b""
            if not pcm or len(pcm) % 2:
                self.stats.bad_messages_received += 1
                return
            self.stats.audio_messages_received += 1
            self.stats.audio_bytes_received += len(pcm)
            self._speaker.play(pcm)
        elif kind == "StopAudio" and self._bidirectional:
            self.stats.stop_audio_received += 1
            self._speaker.stop_audio()

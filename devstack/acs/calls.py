"""One simulated call: ids, direction, state machine, and everything observed about it.

States follow what `get_call` reports (`callConnectionState`) plus `ringing` for an inbound call
whose `IncomingCall` has not been answered yet. Every transition goes through `Call.move`, which
refuses illegal ones, so a late timer or a racing operation cannot resurrect an ended call.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devstack.acs.behaviour import Behaviour
from devstack.acs.delivery import Attempt, CallbackChannel
from devstack.acs.events import CallIds, phone_identifier, utc_now_iso
from devstack.acs.media import MediaStream
from devstack.acs.phone import Handset
from devstack.acs.script import Step


class CallState(StrEnum):
    RINGING = "ringing"  # inbound: IncomingCall published, not answered yet
    CONNECTING = "connecting"  # answered by the app, or outbound callee still ringing
    CONNECTED = "connected"
    TRANSFERRING = "transferring"
    DISCONNECTED = "disconnected"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Outcome(StrEnum):
    """How a call ended, from the far end's point of view."""

    COMPLETED = "completed"
    TRANSFERRED = "transferred"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    DECLINED = "declined"
    MISSED = "missed"  # inbound, never answered by the app
    CANCELED = "canceled"  # outbound, hung up by the app while ringing
    FAILED = "failed"


_ALLOWED: dict[CallState, frozenset[CallState]] = {
    CallState.RINGING: frozenset({CallState.CONNECTING, CallState.DISCONNECTED}),
    CallState.CONNECTING: frozenset({CallState.CONNECTED, CallState.DISCONNECTED}),
    CallState.CONNECTED: frozenset({CallState.TRANSFERRING, CallState.DISCONNECTED}),
    CallState.TRANSFERRING: frozenset({CallState.CONNECTED, CallState.DISCONNECTED}),
    CallState.DISCONNECTED: frozenset(),
}


class IllegalTransition(Exception):
    """A transition the state machine does not allow; names both states."""


class RequestError(Exception):
    """An operation refused the way ACS refuses it: HTTP status, ACS error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def require_loopback_url(value: Any, field_name: str, schemes: tuple[str, ...]) -> str:
    """The simulator only ever connects to loopback addresses; anything else is a 400.

    Raises:
        RequestError: not a string URL with one of `schemes` on 127.0.0.1/::1/localhost.
    """
    if not isinstance(value, str) or not value:
        raise RequestError(400, "8523", f"Invalid request: '{field_name}' is required.")
    parts = urlsplit(value)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    secure = {"http": "https", "ws": "wss"}
    if parts.scheme in secure and secure[parts.scheme] in schemes and not loopback:
        # ACS refuses a plain-text callback or media URL outright; loopback is the local stack's exception.
        raise RequestError(
            400, "8523", f"Invalid request: '{field_name}' must use {secure[parts.scheme]} (a valid TLS certificate)."
        )
    if parts.scheme not in schemes or not loopback:
        raise RequestError(
            400,
            "8523",
            f"Invalid request: '{field_name}' must be a {'/'.join(schemes)} URL on a loopback address "
            "(the local simulator only calls 127.0.0.1).",
        )
    return value


@dataclass(frozen=True)
class MediaOptions:
    """The call's `mediaStreamingOptions` (WebSocket transport only)."""

    transport_url: str
    sample_rate: int
    bidirectional: bool
    start_on_connect: bool
    channel: str
    dtmf: bool = False  # `enableDtmfTones`: ACS streams DtmfData only when the call asked for it

    def wire(self) -> dict[str, Any]:
        return {
            "transport_url": self.transport_url.split("?")[0],
            "sample_rate": self.sample_rate,
            "bidirectional": self.bidirectional,
            "start_on_connect": self.start_on_connect,
            "channel": self.channel,
            "dtmf": self.dtmf,
        }


def parse_media_options(raw: Any) -> MediaOptions | None:
    """Validate `mediaStreamingOptions` as ACS does for the WebSocket transport.

    Raises:
        RequestError: wrong transport, missing or non-loopback URL, unknown audio format.
    """
    if raw is None:
        return None
    if not isinstance(raw, dict) or str(raw.get("transportType", "")).lower() != "websocket":
        raise RequestError(400, "8523", "Invalid request: mediaStreamingOptions.transportType must be 'websocket'.")
    url = require_loopback_url(raw.get("transportUrl"), "mediaStreamingOptions.transportUrl", ("ws", "wss"))
    audio_format = str(raw.get("audioFormat") or "pcm16KMono")
    rates = {"pcm16kmono": 16000, "pcm24kmono": 24000}
    if audio_format.lower() not in rates:
        raise RequestError(400, "8523", "Invalid request: audioFormat must be pcm16KMono or pcm24KMono.")
    channel = str(raw.get("audioChannelType") or "mixed").lower()
    if channel not in ("mixed", "unmixed"):
        raise RequestError(400, "8523", "Invalid request: audioChannelType must be mixed or unmixed.")
    if str(raw.get("contentType") or "audio").lower() != "audio":
        raise RequestError(400, "8523", "Invalid request: contentType must be audio.")
    return MediaOptions(
        transport_url=url,
        sample_rate=rates[audio_format.lower()],
        bidirectional=raw.get("enableBidirectional") is True,
        start_on_connect=raw.get("startMediaStreaming") is True,
        channel=channel,
        dtmf=raw.get("enableDtmfTones") is True,
    )


@dataclass
class Call:
    """Everything about one call; mutated only by the simulator on the event loop."""

    ids: CallIds
    direction: Direction
    far_end: str  # the PSTN number of the caller (inbound) or the callee (outbound)
    our_number: str  # the number the app owns (dialled number inbound, caller id outbound)
    script: tuple[Step, ...]
    state: CallState
    created_at: str = field(default_factory=utc_now_iso)
    callback_url: str | None = None  # set by answer/create
    operation_context: str | None = None  # of answer/create: echoed on CallConnected etc.
    media: MediaOptions | None = None
    incoming_call_context: str | None = None
    behaviour: Behaviour | None = None  # outbound callee
    hang_up_after_script: bool = True
    outcome: Outcome | None = None
    ended_by: str = ""
    answered_at: str | None = None
    ended_at: str | None = None
    transfer_target: str | None = None
    recording_id: str | None = None
    recording_state: str | None = None
    recording_callback_url: str | None = None
    recording_started_at: str | None = None
    recording_base_url: str = ""  # where the app reached the simulator: the file's download URL base
    heard_wav: Path | None = None
    conversation_wav: Path | None = None
    operations: list[dict[str, Any]] = field(default_factory=list)
    event_grid_attempts: list[Attempt] = field(default_factory=list)
    transitions: list[dict[str, str]] = field(default_factory=list)
    channel: CallbackChannel | None = None
    handset: Handset | None = None
    stream: MediaStream | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.ids.call_connection_id

    @property
    def far_end_identifier(self) -> dict[str, Any]:
        return phone_identifier(self.far_end)

    def move(self, to: CallState) -> None:
        """Change state.

        Raises:
            IllegalTransition: `to` is not reachable from the current state.
        """
        if to not in _ALLOWED[self.state]:
            raise IllegalTransition(f"call {self.id}: {self.state.value} -> {to.value} is not allowed")
        self.transitions.append({"from": self.state.value, "to": to.value, "at": utc_now_iso()})
        self.state = to

    def record_operation(self, name: str, **details: Any) -> None:
        self.operations.append({"operation": name, "at": utc_now_iso(), **details})

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        """Run a background step of this call; it is cancelled when the simulator stops."""
        task: asyncio.Task[Any] = asyncio.create_task(coro, name=f"acs-{name}-{self.id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def connection_state(self) -> str:
        """`callConnectionState` as ACS reports it."""
        return {CallState.RINGING: "unknown", CallState.TRANSFERRING: "transferring"}.get(self.state, self.state.value)

    def properties(self) -> dict[str, Any]:
        """`CallConnectionProperties` for create/answer/get responses."""
        target = phone_identifier(self.far_end if self.direction is Direction.OUTBOUND else self.our_number)
        body: dict[str, Any] = {
            "callConnectionId": self.id,
            "serverCallId": self.ids.server_call_id,
            "correlationId": self.ids.correlation_id,
            "targets": [target],
            "callConnectionState": self.connection_state(),
            "callbackUri": self.callback_url,
            "sourceCallerIdNumber": {
                "value": self.our_number if self.direction is Direction.OUTBOUND else self.far_end
            },
            "source": phone_identifier(self.far_end if self.direction is Direction.INBOUND else self.our_number),
        }
        if self.media is not None:
            streaming = self.stream is not None and self.stream.is_open
            body["mediaStreamingSubscription"] = {
                "id": self.stream.subscription_id if self.stream else "",
                "state": "active" if streaming else "inactive",
                "subscribedContentTypes": ["audio"],
            }
        return body

    def snapshot(self, detail: bool = True) -> dict[str, Any]:
        """What `GET /simulator/calls[/{id}]` shows (no tokens: URLs lose their query string)."""
        summary: dict[str, Any] = {
            "id": self.id,
            "server_call_id": self.ids.server_call_id,
            "correlation_id": self.ids.correlation_id,
            "direction": self.direction.value,
            "far_end": self.far_end,
            "our_number": self.our_number,
            "state": self.state.value,
            "outcome": self.outcome.value if self.outcome else None,
            "ended_by": self.ended_by,
            "created_at": self.created_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "transfer_target": self.transfer_target,
            "events_sent": [e["type"].removeprefix("Microsoft.Communication.") for e in self._sent()],
            "recording": {
                "heard_wav": str(self.heard_wav) if self.heard_wav else None,
                "conversation_wav": str(self.conversation_wav) if self.conversation_wav else None,
            },
        }
        if not detail:
            return summary
        summary.update(
            {
                "callback_url": self.callback_url.split("?")[0] if self.callback_url else None,
                "media": self.media.wire() if self.media else None,
                "behaviour": self.behaviour.wire() if self.behaviour else None,
                "transitions": self.transitions,
                "operations": self.operations,
                "events": self._sent(),
                "callback_attempts": [a.wire() for a in self.channel.attempts] if self.channel else [],
                "event_grid_attempts": [a.wire() for a in self.event_grid_attempts],
                "call_recording": {"id": self.recording_id, "state": self.recording_state},
                "media_stats": vars(self.stream.stats) if self.stream else None,
                "handset_stats": vars(self.handset.stats) if self.handset else None,
            }
        )
        return summary

    def _sent(self) -> list[dict[str, Any]]:
        return list(self.channel.sent) if self.channel else []

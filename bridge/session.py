"""Per-call state: one `CallSession` per ACS media socket.

The session owns what the relay needs to remember about a call (its state, agent configuration,
tool calls in flight, whether a model response is running). Every state change goes through
`transition`, which refuses moves the lifecycle does not allow, naming both ends.
"""

from __future__ import annotations

import asyncio
import enum
import time
from dataclasses import dataclass, field
from typing import Any


class CallState(enum.Enum):
    """Lifecycle of one media connection."""

    AWAITING_METADATA = "awaiting_metadata"  # token accepted, waiting for ACS AudioMetadata
    CONNECTING = "connecting"  # fetching the agent configuration and opening the model session
    ACTIVE = "active"  # audio flows both ways
    RECONNECTING = "reconnecting"  # the model connection dropped; one attempt to restore it
    ENDING = "ending"  # tearing down: model closed, events flushed, socket closed
    ENDED = "ended"


_ALLOWED: dict[CallState, frozenset[CallState]] = {
    CallState.AWAITING_METADATA: frozenset({CallState.CONNECTING, CallState.ENDING}),
    CallState.CONNECTING: frozenset({CallState.ACTIVE, CallState.ENDING}),
    CallState.ACTIVE: frozenset({CallState.RECONNECTING, CallState.ENDING}),
    CallState.RECONNECTING: frozenset({CallState.ACTIVE, CallState.ENDING}),
    CallState.ENDING: frozenset({CallState.ENDED}),
    CallState.ENDED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A state change the call lifecycle does not allow (a bug, not bad input)."""


class EndReason(enum.Enum):
    """Why a call's media ended: the `reason` of the contract's `media_ended` event."""

    CALLER_HUNG_UP = "caller_hung_up"
    MODEL_CLOSED = "model_closed"
    MAX_DURATION = "max_duration"
    IDLE = "idle"
    DRAIN = "drain"
    PROTOCOL_ERROR = "protocol_error"  # the media client broke the protocol (bad frame, no metadata)
    BRIDGE_ERROR = "bridge_error"  # the bridge or the function app failed


@dataclass
class AgentConfig:
    """What the function app says this call's agent is (GET /api/internal/calls/{id}/agent)."""

    agent: str
    session: dict[str, Any]
    greeting: str
    max_call_seconds: float
    backend: str = "realtime"  # or "voice-live": which service the call's model session is on
    model: str = ""  # Voice Live's model (on its URL); Realtime uses the bridge's deployment setting


@dataclass
class CallSession:
    """Everything the bridge knows about one live call."""

    call_id: str
    state: CallState = CallState.AWAITING_METADATA
    sample_rate: int = 24000  # ACS audio rate, from AudioMetadata
    agent: AgentConfig | None = None  # set once fetched; its session changes on handoff
    started_at: float = field(default_factory=time.monotonic)
    last_caller_frame_at: float = field(default_factory=time.monotonic)
    response_active: bool = False  # a model response is running: response.create must wait
    needs_response: bool = False  # tool outputs were sent; ask for a response when allowed
    tool_tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # tool call id -> task
    history: list[tuple[str, str]] = field(default_factory=list)  # (role, text) for reconnects
    # Caller turns awaiting their transcript -> the place in the record taken when the turn began,
    # so a transcript arriving after the agent's reply is still stored before it.
    caller_places: dict[str, tuple[str, int]] = field(default_factory=dict)
    end_reason: EndReason | None = None

    def transition(self, new: CallState) -> None:
        """Move to `new`, or raise `IllegalTransition` naming the current and requested state."""
        if new not in _ALLOWED[self.state]:
            raise IllegalTransition(f"call {self.call_id}: cannot go from {self.state.value} to {new.value}")
        self.state = new

    @property
    def is_live(self) -> bool:
        """True until teardown starts."""
        return self.state not in (CallState.ENDING, CallState.ENDED)

    def end(self, reason: EndReason) -> bool:
        """Record the first reason the call ends; False if it was already ending."""
        if self.end_reason is not None:
            return False
        self.end_reason = reason
        return True

    def remember(self, role: str, text: str, limit: int = 40) -> None:
        """Keep the last turns so a reconnected model session can be given the context back."""
        self.history.append((role, text))
        del self.history[:-limit]

    def should_request_response(self) -> bool:
        """A response.create is owed and nothing blocks it (no running response, no tool pending)."""
        return self.needs_response and not self.response_active and not self.tool_tasks

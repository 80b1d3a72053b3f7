"""Shared state of one simulator process: configuration, keys, live sessions, fault switches."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from random import Random
from typing import Any

from devstack.realtime.agents import Agent
from devstack.realtime.conversation import Conversation, Voice


@dataclass
class SimulatorState:
    """What the transports and HTTP endpoints share; tests reach it as `app.state.simulator`."""

    api_key: str
    make_agent: Callable[[], Agent]  # a fresh agent per session (scripted turns restart per call)
    voice: Voice
    speedup: float = 4.0
    conversations: list[Conversation] = field(default_factory=list)  # every session, for tests
    sockets: dict[int, Any] = field(default_factory=dict)  # id(conversation) -> live WebSocket
    ephemeral_keys: dict[str, float] = field(default_factory=dict)  # ek_... -> expires at (unix)
    ephemeral_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # ek_... -> its session
    received_types: list[str] = field(default_factory=list)  # client event types, in order
    refuse_connections: bool = False  # fault switch: new sessions are refused
    # Share of caller turns whose input transcription arrives after the response started (the GA
    # docs warn the order is not guaranteed); drawn from `random`, seeded, so a run is reproducible.
    late_transcription: float = 0.0
    random: Random = field(default_factory=lambda: Random(0))

    def transcription_is_late(self) -> bool:
        """Whether the next caller transcript is sent after the response it triggers started."""
        return self.late_transcription >= 1.0 or self.random.random() < self.late_transcription

    def authorize(self, headers: Mapping[str, str]) -> bool:
        """`api-key: <key>` or `Authorization: Bearer <key or unexpired ephemeral key>`."""
        key = headers.get("api-key", "")
        if key and hmac.compare_digest(key.encode(), self.api_key.encode()):
            return True
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return False
        token = auth[7:].strip()
        if hmac.compare_digest(token.encode(), self.api_key.encode()):
            return True
        expires = self.ephemeral_keys.get(token)
        return expires is not None and expires > time.time()

    def mint_ephemeral_key(self, seconds: int, session: dict[str, Any] | None = None) -> tuple[str, int]:
        value = "ek_" + secrets.token_urlsafe(24)
        expires_at = int(time.time()) + seconds
        self.ephemeral_keys[value] = expires_at
        self.ephemeral_sessions[value] = session or {}
        return value, expires_at

    async def drop_sessions(self, code: int = 1011) -> int:
        """Fault injection: close every live session as if the service dropped it."""
        sockets = list(self.sockets.values())
        for socket in sockets:
            await socket.close(code=code, reason="simulated service failure")
        return len(sockets)

"""Serve the Realtime simulator inside the test's event loop (so tests can inspect and poke it)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from devstack.realtime import build_state, create_app
from devstack.realtime.speech import tone_voice
from devstack.realtime.state import SimulatorState
from tests.support.servers import serve_in_loop

API_KEY = "sim-test-key"


@contextlib.asynccontextmanager
async def running_simulator(
    scenario: dict[str, Any] | None = None, *, voice: Any = tone_voice, speedup: float = 8.0, assistant: bool = False
) -> AsyncIterator[tuple[SimulatorState, str]]:
    """The simulator on loopback; yields its state and its https-style base URL (http here)."""
    state = build_state(API_KEY, scenario=scenario or {}, voice=voice, speedup=speedup, assistant=assistant)
    async with serve_in_loop(create_app(state)) as port:
        yield state, f"http://127.0.0.1:{port}"

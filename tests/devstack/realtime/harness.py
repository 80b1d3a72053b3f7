"""Serve the Realtime simulator inside the test's event loop (so tests can inspect and poke it)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from devstack.realtime import build_state, create_app
from devstack.realtime.speech import tone_voice
from devstack.realtime.state import SimulatorState

API_KEY = "sim-test-key"


@contextlib.asynccontextmanager
async def serve_in_loop(app: Any) -> AsyncIterator[int]:
    """Run an ASGI app on 127.0.0.1 (ephemeral port) in this event loop; yields the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        raise RuntimeError("server did not start")
    try:
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


@contextlib.asynccontextmanager
async def running_simulator(
    scenario: dict[str, Any] | None = None, *, voice: Any = tone_voice, speedup: float = 8.0, assistant: bool = False
) -> AsyncIterator[tuple[SimulatorState, str]]:
    """The simulator on loopback; yields its state and its https-style base URL (http here)."""
    state = build_state(API_KEY, scenario=scenario or {}, voice=voice, speedup=speedup, assistant=assistant)
    async with serve_in_loop(create_app(state)) as port:
        yield state, f"http://127.0.0.1:{port}"

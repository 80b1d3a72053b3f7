"""Host the Durable test app on loopback inside the test's event loop (so a virtual clock can drive it)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.durable import DurableEngine, VirtualClock
from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.function_index import load_functions
from devstack.host.server import FunctionsHost
from tests.support.servers import serve_in_loop

APP = Path(__file__).with_name("apps") / "patterns"
KEYS = HostKeys({"default": "fkey"}, "mkey", {})


@dataclass
class Hosted:
    """A running host: its base URL, an HTTP client, its engine and its virtual clock."""

    base: str
    http: httpx.AsyncClient
    engine: DurableEngine
    clock: VirtualClock

    async def start(self, orchestrator: str, payload: object, instance_id: str | None = None) -> dict:
        """Start through the app's HTTP starter; returns the check-status payload."""
        params = {"id": instance_id} if instance_id else None
        response = await self.http.post(f"/api/start/{orchestrator}", json=payload, params=params)
        assert response.status_code == 202, response.text
        return response.json()


def engine_input(payload: object) -> str:
    """ExecutionStarted.Input as the SDK client sends it: JSON text of the df_dumps string."""
    return json.dumps(json.dumps(payload))


@contextlib.asynccontextmanager
async def hosted(data_dir: Path, clock: VirtualClock | None = None) -> AsyncIterator[Hosted]:
    clock = clock or VirtualClock()
    host = FunctionsHost(APP, data_dir=data_dir, durable_clock=clock, settings=LocalSettings({}, KEYS))
    async with serve_in_loop(host.asgi(), lifespan="auto") as port:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=20) as http:
            yield Hosted(base, http, host.durable, clock)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Hosted]:
    async with hosted(tmp_path) as running:
        yield running


@contextlib.asynccontextmanager
async def bare_engine(data_dir: Path, clock: VirtualClock) -> AsyncIterator[DurableEngine]:
    """The engine alone (no HTTP), over the same test app."""
    engine = DurableEngine(load_functions(APP), data_dir, clock)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()

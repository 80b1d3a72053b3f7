"""The campaign engine hosted in-process on loopback with a virtual clock and Azurite tables."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.durable import DurableEngine, VirtualClock
from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.server import FunctionsHost
from tests.callcenter.campaigns import fake_calls
from tests.conftest import FUNCTION_KEY, MASTER_KEY, reset_app_state
from tests.support.azurite import run_azurite
from tests.support.servers import serve_in_loop

APP = Path(__file__).with_name("app")
KEYS = HostKeys({"default": FUNCTION_KEY}, MASTER_KEY, {})
PHONE_ENV = {
    "ACS_ENDPOINT": "http://127.0.0.1:9",  # never contacted: calls are the stand-in orchestration
    "ACS_ACCESS_KEY": base64.b64encode(b"campaign-tests-acs-key-32-bytes!").decode(),
    "ACS_PHONE_NUMBER": "+18005550100",
    "ACS_RESOURCE_ID": "campaign-tests",
    "PUBLIC_BASE_URL": "http://127.0.0.1:9",
    "BRIDGE_PUBLIC_URL": "ws://127.0.0.1:9",
    "CALL_TOKEN_SECRET": "campaign-tests-secret-of-at-least-32-chars",
    "DNC_HASH_KEY": "campaign-tests-dnc-hash-key-of-at-least-32-chars",
}
START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # a Monday
DRIVE_STEPS = 400  # guard against a campaign that never ends, not a timing assertion


@pytest.fixture(scope="package")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


@pytest.fixture
def campaign_env(monkeypatch: pytest.MonkeyPatch, tables: str) -> dict[str, str]:
    env = {**PHONE_ENV, "CALLCENTER_TABLES_CONNECTION": tables, "SESSION_RATE_LIMIT_PER_MINUTE": "1000"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_app_state()
    fake_calls.BEHAVIOURS.clear()
    fake_calls.DIALS.clear()
    return env


@dataclass
class Stack:
    """A running host: HTTP client, engine, virtual clock, and the largest history seen per orchestrator."""

    http: httpx.AsyncClient
    engine: DurableEngine
    clock: VirtualClock
    history_peak: dict[str, int] = field(default_factory=dict)

    async def create(self, settings: dict[str, Any], csv_text: str) -> dict[str, Any]:
        files = {"contacts": ("contacts.csv", csv_text.encode(), "text/csv")}
        response = await self.http.post("/api/campaigns", data={"settings": json.dumps(settings)}, files=files)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def campaign(self, campaign_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/campaigns/{campaign_id}")
        assert response.status_code == 200, response.text
        return dict(response.json()["campaign"])

    async def contacts(self, campaign_id: str, **params: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(100):
            query = {**params, "limit": "500", **({"page_token": token} if token else {})}
            page = (await self.http.get(f"/api/campaigns/{campaign_id}/contacts", params=query)).json()
            found += page["contacts"]
            token = page["next_page_token"]
            if not token:
                return found
        raise AssertionError("too many pages")

    async def control(self, campaign_id: str, action: str) -> httpx.Response:
        return await self.http.post(f"/api/campaigns/{campaign_id}/{action}")

    async def advance(self, delta: timedelta) -> None:
        """Move the virtual clock forward, stopping at every engine timer on the way.

        `VirtualClock.advance` can step past a timer created while it settles (the engine's timer
        loop has not re-armed its sleeper yet), so timers would fire late; stepping to each due
        timer explicitly keeps every timer exact.
        """
        target = self.clock.now() + delta
        while True:
            await self.engine.run_until_idle()
            for _ in range(3):
                await asyncio.sleep(0)
            upcoming = self.engine.next_timer_at()
            if upcoming is None or upcoming > target:
                await self.clock.set(target)
                await self.engine.run_until_idle()
                return
            await self.clock.set(max(upcoming, self.clock.now()))

    async def run_until_finished(self, campaign_id: str, step: timedelta = timedelta(hours=6)) -> dict[str, Any]:
        for _ in range(DRIVE_STEPS):
            await self.advance(step)
            found = await self.campaign(campaign_id)
            status = await self.engine_status(campaign_id)
            if found["status"] in ("completed", "cancelled") and status in ("Completed", "Failed", "Terminated"):
                return found
        raise AssertionError("the campaign did not finish")

    async def engine_status(self, instance_id: str) -> str:
        response = await self.http.get(f"/runtime/webhooks/durabletask/instances/{instance_id}")
        return str(response.json().get("runtimeStatus", "")) if response.status_code in (200, 202) else ""


def _watch_history(engine: DurableEngine, peaks: dict[str, int]) -> None:
    """Record the longest history each orchestrator replays (the engine builds one context per episode)."""
    original = engine._context_body

    def context_body(instance: Any, new_events: list[Any]) -> str:
        size = len(instance.events) + len(new_events)
        peaks[instance.name] = max(peaks.get(instance.name, 0), size)
        return original(instance, new_events)

    engine._context_body = context_body  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def hosted(data_dir: Path, clock: VirtualClock, peaks: dict[str, int] | None = None) -> AsyncIterator[Stack]:
    reset_app_state()
    host = FunctionsHost(APP, data_dir=data_dir, durable_clock=clock, settings=LocalSettings({}, KEYS))
    stack_peaks = peaks if peaks is not None else {}
    _watch_history(host.durable, stack_peaks)
    headers = {"x-functions-key": FUNCTION_KEY}
    async with (
        serve_in_loop(host.asgi(), lifespan="auto") as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, headers=headers) as http,
    ):
        yield Stack(http, host.durable, clock, stack_peaks)


@pytest.fixture
async def stack(campaign_env: dict[str, str], tmp_path: Path) -> AsyncIterator[Stack]:
    async with hosted(tmp_path, VirtualClock(START)) as running:
        yield running

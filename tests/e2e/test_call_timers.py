"""The call's durable timers on a virtual clock: the max-duration and no-answer limits end calls.

The function app runs in this test's event loop with a virtual clock, against Azurite and the ACS
simulator (real SDK, signed callbacks). Media goes nowhere (no bridge): the call stays connected
and silent, which is exactly when only the timers can end it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from devstack.durable import VirtualClock
from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.server import FunctionsHost
from tests.conftest import REPO, reset_app_state
from tests.support.azurite import run_azurite
from tests.support.servers import free_port, serve_in_loop

RESOURCE_ID = "timer-test-acs"
MAX_CALL_SECONDS = 600
NO_ANSWER_SECONDS = 30


@dataclass
class Running:
    api: httpx.AsyncClient
    acs: httpx.AsyncClient
    clock: VirtualClock


@contextlib.asynccontextmanager
async def acs_simulator(key: str) -> AsyncIterator[str]:
    port = free_port()
    env = {**os.environ, "ACS_TEST_KEY": key}
    argv = [
        sys.executable,
        "-m",
        "devstack.acs",
        "--port",
        str(port),
        "--access-key-env",
        "ACS_TEST_KEY",
        "--resource-id",
        RESOURCE_ID,
        "--voice",
        "tone",
    ]
    # Popen returns at once; the process runs beside this event loop.
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{url}/simulator/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("ACS simulator did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Running]:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    port = free_port()
    with run_azurite() as tables:
        async with acs_simulator(key) as acs_url:
            settings = {
                "ACS_ENDPOINT": acs_url,
                "ACS_ACCESS_KEY": key,
                "ACS_PHONE_NUMBER": "+18005550100",
                "ACS_RESOURCE_ID": RESOURCE_ID,
                "ACS_OPENID_CONFIG_URL": f"{acs_url}/calling/.well-known/acsopenidconfiguration",
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "BRIDGE_PUBLIC_URL": "ws://127.0.0.1:9",
                "CALL_TOKEN_SECRET": secrets.token_urlsafe(48),
                "CALLCENTER_TABLES_CONNECTION": tables,
                "MAX_CALL_SECONDS": str(MAX_CALL_SECONDS),
                "NO_ANSWER_SECONDS": str(NO_ANSWER_SECONDS),
            }
            for name, value in settings.items():
                monkeypatch.setenv(name, value)
            reset_app_state()
            clock = VirtualClock()
            keys = HostKeys({"default": "fkey"}, "mkey", {})
            host = FunctionsHost(
                REPO, data_dir=tmp_path / "durable", durable_clock=clock, settings=LocalSettings({}, keys)
            )
            async with (
                serve_in_loop(host.asgi(), lifespan="auto", port=port),
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as api,
                httpx.AsyncClient(base_url=acs_url, timeout=20) as acs,
            ):
                yield Running(api, acs, clock)


async def record_when(running: Running, call_id: str, field: str, value: str, seconds: float = 20) -> dict:
    """The call record once `field` equals `value` (real seconds; the virtual clock does not move)."""
    for _ in range(int(seconds / 0.1)):
        response = await running.api.get(f"/api/calls/{call_id}")
        if response.status_code == 200 and response.json()["record"][field] == value:
            return dict(response.json()["record"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"call {call_id}: {field} never became {value}")


async def place(running: Running, number: str, behaviour: dict) -> str:
    await running.acs.post("/simulator/behaviours", json={number: behaviour})
    response = await running.api.post("/api/call", json={"number": number})
    assert response.status_code == 202, response.text
    return str(response.json()["call_id"])


async def test_max_duration_timer_hangs_up_a_connected_call(running: Running) -> None:
    call_id = await place(running, "+14255550111", {"kind": "answer"})
    await record_when(running, call_id, "status", "connected")
    await running.clock.advance(timedelta(seconds=MAX_CALL_SECONDS - 5))
    assert (await running.api.get(f"/api/calls/{call_id}")).json()["record"]["status"] == "connected"
    await running.clock.advance(timedelta(seconds=10))
    record = await record_when(running, call_id, "status", "ended")
    assert record["outcome"] == "completed" and record["reason"] == "max_duration"
    assert MAX_CALL_SECONDS <= record["duration_s"] <= MAX_CALL_SECONDS + 10
    calls = (await running.acs.get("/simulator/calls")).json()["calls"]
    assert any(c["far_end"] == "+14255550111" and c["state"] == "disconnected" for c in calls)


async def test_no_answer_timer_gives_up_on_a_ringing_outbound_call(running: Running) -> None:
    call_id = await place(running, "+14255550112", {"kind": "no_answer", "seconds": 3600})
    for _ in range(200):  # until the callee's phone rings
        calls = (await running.acs.get("/simulator/calls")).json()["calls"]
        if any(c["far_end"] == "+14255550112" and c["state"] == "connecting" for c in calls):
            break
        await asyncio.sleep(0.1)
    await running.clock.advance(timedelta(seconds=NO_ANSWER_SECONDS + 1))
    record = await record_when(running, call_id, "status", "ended")
    assert record["outcome"] == "no_answer" and record["answered_at"] == ""

"""The retention timer purges finished Durable instances and call data older than RETENTION_DAYS, on its schedule."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from callcenter.config import load_settings
from callcenter.errors import NotFound
from callcenter.retention import SCHEDULE
from callcenter.store import calls as call_store
from callcenter.store.retention import purge_calls_before
from devstack.durable import VirtualClock
from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.server import FunctionsHost
from tests.conftest import reset_app_state
from tests.support.azurite import run_azurite
from tests.support.servers import free_port

APP = Path(__file__).with_name("retention_app")
API = "/runtime/webhooks/durabletask"


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


def record(call_id: str, started: datetime) -> call_store.CallRecord:
    return call_store.CallRecord(
        call_id=call_id,
        direction="outbound",
        agent="default",
        to_number="+15558320001",
        started_at=started.isoformat(timespec="milliseconds"),
    )


async def store_call(settings: object, call_id: str, started: datetime) -> None:
    await call_store.claim_call(settings, record(call_id, started))  # type: ignore[arg-type]
    line = {"type": "transcript", "role": "agent", "text": "hello", "ts": started.isoformat(), "seq": 1}
    await call_store.append_events(settings, call_id, [line], "b1")  # type: ignore[arg-type]


async def test_purge_removes_calls_that_started_before_the_cutoff_with_their_events(tables: str) -> None:
    settings = load_settings({"CALLCENTER_TABLES_CONNECTION": tables})
    now = datetime.now(UTC)
    await store_call(settings, "ret-old", now - timedelta(days=40))
    await store_call(settings, "ret-new", now - timedelta(days=2))
    purged = await purge_calls_before(settings, now - timedelta(days=30))
    assert purged.calls >= 1 and purged.events >= 1
    with pytest.raises(NotFound):
        await call_store.get_call(settings, "ret-old")
    assert await call_store.call_events(settings, "ret-old") == []
    assert (await call_store.get_call(settings, "ret-new")).call_id == "ret-new"
    assert len(await call_store.call_events(settings, "ret-new")) == 1


@contextlib.asynccontextmanager
async def hosted(
    data_dir: Path, clock: VirtualClock, port: int
) -> AsyncIterator[tuple[FunctionsHost, httpx.AsyncClient]]:
    reset_app_state()
    host = FunctionsHost(APP, data_dir=data_dir, durable_clock=clock, settings=LocalSettings({}, HostKeys({}, "m", {})))
    server = uvicorn.Server(uvicorn.Config(host.asgi(), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
            yield host, http
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


async def test_daily_timer_purges_old_finished_instances_and_calls_and_keeps_the_rest(
    tables: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SCHEDULE == "0 30 3 * * *"
    port = free_port()
    env = {
        "CALLCENTER_TABLES_CONNECTION": tables,
        "RETENTION_DAYS": "30",
        "DNC_HASH_KEY": "retention-tests-dnc-key-of-32-characters",
        "WEBSITE_HOSTNAME": f"127.0.0.1:{port}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(env)
    now = datetime.now(UTC)
    await store_call(settings, "ret-timer-old", now - timedelta(days=45))
    await store_call(settings, "ret-timer-recent", now - timedelta(days=3))
    # Durable time is virtual: the instances are created 45 days ago, the day before the timer's 03:30 run.
    start = (now - timedelta(days=45)).replace(hour=3, minute=0, second=0, microsecond=0)
    clock = VirtualClock(start)
    async with hosted(tmp_path, clock, port) as (host, http):
        finished = await host.durable.client.start_new("finishes", "ret-finished", json.dumps(json.dumps(1)))
        running = await host.durable.client.start_new("waits", "ret-running", None)
        await host.durable.wait_for(finished)
        await clock.advance(timedelta(minutes=29))  # 03:29: not yet
        assert (await http.get(f"{API}/instances/{finished}")).status_code == 200
        await clock.advance(timedelta(minutes=2))  # 03:31: the run has happened
        assert (await http.get(f"{API}/instances/{finished}")).status_code == 404
        assert (await http.get(f"{API}/instances/{running}")).json()["runtimeStatus"] == "Running"
    with pytest.raises(NotFound):
        await call_store.get_call(settings, "ret-timer-old")
    assert (await call_store.get_call(settings, "ret-timer-recent")).call_id == "ret-timer-recent"

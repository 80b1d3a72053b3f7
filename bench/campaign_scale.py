"""A campaign of many contacts on the local Durable engine, with a virtual clock and instant callee outcomes.

Creates the campaign through `POST /api/campaigns` (Azurite tables), then drives the virtual clock
timer by timer until the campaign completes, and reports: the import time, the dialling wall time,
dials per second, the largest history any orchestration instance replayed (campaign generations and
calls), and the peak resident memory of this process and of Azurite. Calls are a stand-in
`call_lifecycle` that returns an outcome at once (70% completed, 15% no answer, 10% busy, 5%
voicemail, so some contacts are retried); pacing is 100 concurrent calls and 600 per minute.

Run: .venv/bin/python -m bench.campaign_scale [--contacts 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from devstack import azurite
from devstack.durable import VirtualClock
from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.server import FunctionsHost

APP = Path(__file__).with_name("campaign_app")
SETTINGS = {
    "name": "Scale",
    "agent": "outreach",
    "script": "Remind {name} of the renewal.",
    "calling_window": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "23:59"},
    "pacing": {"max_concurrent": 100, "max_calls_per_minute": 600},
    "attempts": {"max_per_contact": 2, "retry_delay_minutes": 10},
    "voicemail_policy": "hang_up",
}
ENV = {
    "ACS_ENDPOINT": "http://127.0.0.1:9",
    "ACS_PHONE_NUMBER": "+18005550100",
    "ACS_RESOURCE_ID": "bench",
    "PUBLIC_BASE_URL": "http://127.0.0.1:9",
    "BRIDGE_PUBLIC_URL": "ws://127.0.0.1:9",
    "CALL_TOKEN_SECRET": base64.b64encode(os.urandom(32)).decode(),
    "SESSION_RATE_LIMIT_PER_MINUTE": "1000",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _azurite() -> Iterator[tuple[str, int]]:
    port = _free_port()
    process = subprocess.Popen(azurite.command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.1)
        yield azurite.connection_string(port), process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def _peak_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


async def _drive(
    host: FunctionsHost, clock: VirtualClock, http: httpx.AsyncClient, campaign_id: str, dials: dict[str, int]
) -> None:
    """Step the virtual clock from timer to timer (exactly) until the campaign completes."""
    engine = host.durable
    engine.idle_timeout = 600  # thousands of calls fall due at one virtual instant
    started = report_at = time.perf_counter()
    while True:
        if time.perf_counter() >= report_at:  # progress on stderr, for long runs
            elapsed = time.perf_counter() - started
            print(f"  {elapsed:6.0f} s  {dials['count']:>8,} dials  virtual {clock.now():%H:%M}", file=sys.stderr)
            report_at += 60
        await engine.run_until_idle()
        for _ in range(3):
            await asyncio.sleep(0)
        upcoming = engine.next_timer_at()
        if upcoming is not None:
            await clock.set(max(upcoming, clock.now()))
            continue
        status = (await http.get(f"/api/campaigns/{campaign_id}")).json()["campaign"]["status"]
        if status in ("completed", "cancelled"):
            return
        await clock.advance(timedelta(minutes=1))


async def run(contacts: int) -> dict[str, Any]:
    with _azurite() as (connection, azurite_pid), tempfile.TemporaryDirectory() as data:
        os.environ.update({**ENV, "CALLCENTER_TABLES_CONNECTION": connection})
        clock = VirtualClock(datetime(2025, 3, 3, 8, 0, tzinfo=UTC))
        host = FunctionsHost(
            APP, data_dir=Path(data), durable_clock=clock, settings=LocalSettings({}, HostKeys({}, "m", {}))
        )
        peaks: dict[str, int] = {}
        dials = {"count": 0}
        original_body, original_child = host.durable._context_body, host.durable._start_child

        def context_body(instance: Any, new_events: list[Any]) -> str:
            peaks[instance.name] = max(peaks.get(instance.name, 0), len(instance.events) + len(new_events))
            return original_body(instance, new_events)

        def start_child(*args: Any) -> None:
            dials["count"] += 1
            original_child(*args)

        host.durable._context_body = context_body
        host.durable._start_child = start_child
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(host.asgi(), host="127.0.0.1", port=port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.01)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
                body = {**SETTINGS, "contacts": [{"phone": f"+1555{i:07d}", "name": f"P{i}"} for i in range(contacts)]}
                started = time.perf_counter()
                response = await http.post("/api/campaigns", json=body)
                response.raise_for_status()
                imported = time.perf_counter() - started
                campaign_id = response.json()["campaign"]["id"]
                started = time.perf_counter()
                await _drive(host, clock, http, campaign_id, dials)
                wall = time.perf_counter() - started
                final = (await http.get(f"/api/campaigns/{campaign_id}")).json()["campaign"]
        finally:
            server.should_exit = True
            await task
        return {
            "contacts": contacts,
            "import_s": imported,
            "wall_s": wall,
            "dials": dials["count"],
            "virtual_minutes": (clock.now() - datetime(2025, 3, 3, 8, 0, tzinfo=UTC)).total_seconds() / 60,
            "peaks": peaks,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "azurite_mib": _peak_kib(azurite_pid) / 1024,
            "counters": final["counters"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    args = parser.parse_args()
    result = asyncio.run(run(args.contacts))
    print(f"contacts            {result['contacts']:>10,}")
    print(f"import (POST)       {result['import_s']:>10.1f} s")
    print(f"dialling wall time  {result['wall_s']:>10.1f} s  ({result['virtual_minutes']:.0f} virtual minutes)")
    print(f"dials               {result['dials']:>10,}  ({result['dials'] / result['wall_s']:.1f} dials/s)")
    for name, size in sorted(result["peaks"].items()):
        print(f"largest history     {size:>10,} events ({name})")
    print(f"peak RSS            {result['rss_mib']:>10.0f} MiB (python), {result['azurite_mib']:.0f} MiB (Azurite)")
    print(f"outcomes            {result['counters']}")


if __name__ == "__main__":
    main()

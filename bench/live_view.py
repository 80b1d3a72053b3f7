"""Live view latency: how long after the bridge posts a line does a supervisor's poll show it?

Runs the function app in the local host against Azurite. `--calls` phone calls are under way at
once: for each, the bridge's own client (`bridge.function_app_client.FunctionAppClient`) posts a
batch with a new transcript line every `--flush` seconds (the bridge's default flush interval), and
one viewer polls `GET /api/live/{id}?after=<seq>` every second as the Live screen does. The latency
of a line is from the moment its batch POST started to the moment a viewer's answer contained it.
Also reports the live list's answer time and the events endpoint's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn

from bridge.function_app_client import FunctionAppClient
from callcenter.config import load_settings
from callcenter.store import calls as store
from callcenter.store import live
from devstack import azurite
from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.server import FunctionsHost

APP = Path(__file__).resolve().parents[1]
KEY = "bench-function-key"
POLL_SECONDS = 1.0  # the Live screen's polling interval (frontend/src/screens/LiveScreen.tsx)


class Call:
    """One call under way: lines posted (with when their batch was posted) and lines seen."""

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self.posted: dict[int, float] = {}
        self.latencies: list[float] = []
        self.failed_polls = 0
        self.retries = 0  # batches posted again after a failure (timed from the attempt that succeeded)


async def bridge(client: FunctionAppClient, call: Call, lines: int, flush: float) -> list[float]:
    """Post one line per flush interval, as the bridge does; returns each POST's answer time."""
    answered = []
    for seq in range(1, lines + 1):
        event = {"type": "transcript", "role": "agent", "text": f"line {seq}", "ts": store.now_iso(), "seq": seq}
        for _ in range(20):  # the bridge keeps a batch that was not accepted for its next flush
            started = time.perf_counter()
            call.posted[seq] = started
            if await client.post_events(call.call_id, [event]) is not None:
                break
            call.retries += 1
            await asyncio.sleep(0.5)
        else:
            raise RuntimeError(f"call {call.call_id}: batch {seq} not accepted")
        answered.append(time.perf_counter() - started)
        await asyncio.sleep(flush)
    return answered


async def viewer(http: httpx.AsyncClient, call: Call, lines: int, deadline: float) -> None:
    """Poll the call's live view with its cursor until every line was seen."""
    after = 0
    while after < lines and time.perf_counter() < deadline:
        try:
            answer = (await http.get(f"/api/live/{call.call_id}", params={"after": after})).json()
        except httpx.HTTPError:
            call.failed_polls += 1  # the Live screen polls again a second later; so does this viewer
            await asyncio.sleep(POLL_SECONDS)
            continue
        now = time.perf_counter()
        for event in answer["events"]:
            call.latencies.append(now - call.posted[event["seq"]])
        after = answer["next_after"]
        await asyncio.sleep(POLL_SECONDS)


async def run(calls: int, lines: int, flush: float) -> None:
    with azurite.running() as connection, tempfile.TemporaryDirectory() as data:
        os.environ["CALLCENTER_TABLES_CONNECTION"] = connection
        settings = load_settings({"CALLCENTER_TABLES_CONNECTION": connection})
        under_way = [Call(f"in-bench-live-{index:03d}") for index in range(calls)]
        for call in under_way:
            record = store.CallRecord(
                call.call_id, "inbound", "default", status="connected", started_at=store.now_iso()
            )
            await store.claim_call(settings, record)
            await live.mark_live(settings, record)
        host = FunctionsHost(APP, data_dir=Path(data), settings=LocalSettings({}, HostKeys({"default": KEY}, "m", {})))
        port = azurite.free_port()
        server = uvicorn.Server(uvicorn.Config(host.asgi(), host="127.0.0.1", port=port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.01)
        base = f"http://127.0.0.1:{port}"
        client = FunctionAppClient(base, KEY, timeout=30)
        limits = httpx.Limits(max_connections=calls + 10)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
                deadline = time.perf_counter() + lines * flush + 60
                posts = asyncio.gather(*(bridge(client, call, lines, flush) for call in under_way))
                views = asyncio.gather(*(viewer(http, call, lines, deadline) for call in under_way))
                list_times = []
                while not posts.done():
                    started = time.perf_counter()
                    with contextlib.suppress(httpx.HTTPError):
                        (await http.get("/api/live")).raise_for_status()
                        list_times.append(time.perf_counter() - started)
                    await asyncio.sleep(POLL_SECONDS)
                answered = [t for per_call in await posts for t in per_call]
                await views
        finally:
            await client.aclose()
            server.should_exit = True
            await task
    latencies = sorted(t for call in under_way for t in call.latencies)
    expected = calls * lines
    print(f"calls {calls}, lines per call {lines}, bridge flush {flush} s, viewer poll {POLL_SECONDS} s")
    retries = sum(call.retries for call in under_way)
    failed = sum(call.failed_polls for call in under_way)
    print(f"lines seen: {len(latencies)} of {expected}; batches posted again: {retries}; failed polls: {failed}")
    for name, values in (("line latency (post -> on screen)", latencies), ("events POST", sorted(answered))):
        p95 = values[int(len(values) * 0.95) - 1] if values else 0.0
        print(f"{name:<34} median {statistics.median(values):.2f} s  p95 {p95:.2f} s  max {max(values):.2f} s")
    print(f"{'live list GET':<34} median {statistics.median(list_times):.2f} s  max {max(list_times):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--lines", type=int, default=15)
    parser.add_argument("--flush", type=float, default=2.0)
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.lines, args.flush))


if __name__ == "__main__":
    main()

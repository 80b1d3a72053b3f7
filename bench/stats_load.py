"""`GET /api/stats` over a month of conversations: answer time and Table rows read as the count grows.

Seeds conversations over 30 days into Azurite through the same counter code the app runs as calls end
(`store.stats.count_ended`, many per transaction to seed quickly), then times the endpoint through
the local Functions host: a month by day, a month by day for one agent and channel, and a week by
hour. It measures after a tenth of the conversations and again after all of them, so a growing
answer time or row count would show. Conversations are drawn from a fixed-seed generator (agents,
channels, outcomes, handle times, tools, tokens), so runs are comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn

from callcenter.config import load_settings
from callcenter.store import stats
from devstack import azurite
from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.server import FunctionsHost

APP = Path(__file__).resolve().parents[1]
MONTH_START = datetime(2026, 10, 1, tzinfo=UTC)
AGENTS = ("retail", "telecom", "healthcare")
OUTCOMES = ("completed",) * 14 + ("transferred",) * 3 + ("abandoned", "no-answer", "failed")
QUERIES = {
    "month by day": {"from": "2026-10-01T00:00:00Z", "to": "2026-10-31T00:00:00Z", "bucket": "day"},
    "month by day, one agent+channel": {
        "from": "2026-10-01T00:00:00Z",
        "to": "2026-10-31T00:00:00Z",
        "bucket": "day",
        "agent": "telecom",
        "channel": "phone",
    },
    "week by hour": {"from": "2026-10-10T00:00:00Z", "to": "2026-10-17T00:00:00Z", "bucket": "hour"},
}


def conversations(count: int, first: int = 0, seed: int = 19) -> list[stats.EndedConversation]:
    """`count` conversations spread over 30 days (fixed seed: the same month every run)."""
    draw = random.Random(seed + first)
    made = []
    for index in range(first, first + count):
        outcome = draw.choice(OUTCOMES)
        connected = outcome not in ("abandoned", "no-answer")
        handle = draw.lognormvariate(4.6, 0.6) if connected else 0.0
        tools = draw.randint(0, 3)
        made.append(
            stats.EndedConversation(
                call_id=f"bench-{index:07d}",
                agent=draw.choice(AGENTS),
                channel="web" if draw.random() < 0.3 else "phone",
                started_at=MONTH_START + timedelta(seconds=draw.uniform(0, 30 * 86400)),
                outcome=outcome,
                connected=connected,
                handle_s=round(handle, 1),
                cost=round(handle / 60 * 0.013 + 0.02, 4),
                tool_calls=tools,
                tool_failures=sum(draw.random() < 0.05 for _ in range(tools)),
                usage={"input_tokens": 900, "output_tokens": 400, "total_tokens": 1300},
            )
        )
    return made


async def seed(connection: str, calls: list[stats.EndedConversation], parallel: int = 8) -> float:
    """Count `calls` through the app's counter code; returns seconds taken."""
    settings = load_settings({"CALLCENTER_TABLES_CONNECTION": connection})
    by_partition: dict[str, list[stats.EndedConversation]] = {}
    for call in calls:
        day = call.started_at.date().isoformat()
        by_partition.setdefault(stats.partition(day, stats.shard_of(call.call_id)), []).append(call)
    gate = asyncio.Semaphore(parallel)

    async def count(group: list[stats.EndedConversation]) -> int:
        async with gate:
            return await stats.count_ended(settings, group)

    started = time.perf_counter()
    counted = sum(await asyncio.gather(*(count(group) for group in by_partition.values())))
    assert counted == len(calls), f"counted {counted} of {len(calls)}"
    return time.perf_counter() - started


async def rows_read(connection: str, params: dict[str, str]) -> int:
    """Counter rows the endpoint's query returns (the same query `read_buckets` sends)."""
    from azure.data.tables.aio import TableClient

    dim = stats.dimension(params.get("agent"), params.get("channel"))
    low, high = params["from"][:10], (datetime.fromisoformat(params["to"][:10]) + timedelta(days=1)).date()
    query = f"PartitionKey ge 's{low}' and PartitionKey lt 's{high.isoformat()}' and RowKey eq 'c|{dim}'"
    async with TableClient.from_connection_string(connection, stats.STATS) as client:
        return len([entity async for entity in client.query_entities(query)])


async def time_queries(base: str, repeats: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in QUERIES}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for name, params in QUERIES.items():
            (await http.get("/api/stats", params=params)).raise_for_status()  # warm
            for _ in range(repeats):
                started = time.perf_counter()
                response = await http.get("/api/stats", params=params)
                timings[name].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
    return timings


async def run(total: int, repeats: int) -> None:
    with azurite.running() as connection, tempfile.TemporaryDirectory() as data:
        os.environ["CALLCENTER_TABLES_CONNECTION"] = connection
        host = FunctionsHost(APP, data_dir=Path(data), settings=LocalSettings({}, HostKeys({}, "m", {})))
        port = azurite.free_port()
        server = uvicorn.Server(uvicorn.Config(host.asgi(), host="127.0.0.1", port=port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.01)
        try:
            seeded = 0
            print(f"{'conversations':>13} | {'query':<32} | {'rows read':>9} | {'median ms':>9} | {'p95 ms':>7}")
            for target in (total // 10, total):
                seconds = await seed(connection, conversations(target - seeded, first=seeded))
                print(f"# seeded {target - seeded} conversations in {seconds:.1f} s", flush=True)
                seeded = target
                timings = await time_queries(f"http://127.0.0.1:{port}", repeats)
                for name, values in timings.items():
                    p95 = sorted(values)[max(0, int(len(values) * 0.95) - 1)]
                    rows = await rows_read(connection, QUERIES[name])
                    median = statistics.median(values)
                    print(f"{seeded:>13} | {name:<32} | {rows:>9} | {median:>9.1f} | {p95:>7.1f}", flush=True)
        finally:
            server.should_exit = True
            await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.conversations, args.repeats))


if __name__ == "__main__":
    main()

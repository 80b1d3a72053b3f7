"""Replay cost of the local Durable engine as an orchestration's history grows.

Every episode replays the whole history through the SDK, so its cost grows with the history. This
measures one episode (context JSON, the SDK's replay, parsing the actions, the engine's decision)
for a sequential orchestration whose history has about 100, 1,000 and 5,000 events, and also a
whole engine run of many short orchestrations.

Run: .venv/bin/python -m bench.durable_replay
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from devstack.durable import DurableEngine, VirtualClock
from devstack.durable import history as h
from devstack.durable.actions import parse_state
from devstack.durable.functions import OrchestrationContextBody, use_fast_timestamp_parsing
from devstack.durable.replay import Ledger, Slot, decide

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SIZES = (100, 1_000, 5_000)
REPEATS = 7


def _sequential(context: df.DurableOrchestrationContext):
    total = 0
    for step in range(context.get_input()["steps"]):
        total += yield context.call_activity("work", step)
    return total


def _history(steps_done: int) -> list[dict[str, Any]]:
    events = [
        h.orchestrator_started(T0),
        h.execution_started(T0, name="bench", instance_id="bench", execution_id="e", input_json=None),
    ]
    for step in range(steps_done):
        when = T0 + timedelta(seconds=step)
        events += [
            h.task_scheduled(when, step, "work", json.dumps(step)),
            h.orchestrator_completed(when),
            h.orchestrator_started(when),
            h.task_completed(when, step, json.dumps(step)),
        ]
    for event in events:
        event["IsPlayed"] = True
    return events


def episode_ms(event_count: int) -> tuple[int, float]:
    """Median milliseconds for one episode over a history of about `event_count` events."""
    steps = max(1, (event_count - 2) // 4)
    handler = df.Orchestrator.create(_sequential)
    parts = [json.dumps(e) for e in _history(steps)]
    payload = json.dumps(json.dumps({"steps": steps + 1}))
    ledger_json = Ledger(next_id=steps).to_json()
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        body = '{"history":[' + ",".join(parts) + '],"input":' + payload + ',"instanceId":"bench"'
        body += ',"isReplaying":true,"parentInstanceId":null,"upperSchemaVersion":1,"upperSchemaVersionNew":3}'
        result = parse_state(handler(OrchestrationContextBody(body)))
        ledger = Ledger.from_json(ledger_json)
        ledger.slots = [Slot(0, "work", i) for i in range(steps)]
        decide(ledger, name="bench", instance_id="bench", execution_id="e", batch=[], result=result, error=None, now=T0)
        timings.append((time.perf_counter() - started) * 1000)
    return len(parts), statistics.median(timings)


async def engine_throughput(instances: int) -> float:
    """Orchestrations per second for short chains (3 activities) through the whole engine."""
    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.orchestration_trigger(context_name="context")
    def chain(context: df.DurableOrchestrationContext):
        a = yield context.call_activity("inc", 0)
        b = yield context.call_activity("inc", a)
        return (yield context.call_activity("inc", b))

    @app.activity_trigger(input_name="value")
    async def inc(value: int) -> int:
        return value + 1

    with tempfile.TemporaryDirectory() as folder:
        engine = DurableEngine(app.get_functions(), Path(folder), VirtualClock())
        await engine.start()
        started = time.perf_counter()
        for n in range(instances):
            await engine.client.start_new("chain", f"c{n}", json.dumps("null"))
        await engine.run_until_idle(timeout=300)
        elapsed = time.perf_counter() - started
        await engine.stop()
    return instances / elapsed


def main() -> None:
    print("Durable engine replay cost (one episode = SDK replay + engine decision)")
    slow = [episode_ms(size) for size in SIZES]
    use_fast_timestamp_parsing()  # what DurableEngine does by default
    fast = [episode_ms(size) for size in SIZES]
    print(f"{'history events':>15} | {'ms/episode (SDK dateutil)':>26} | {'ms/episode (engine default)':>28}")
    print(f"{'-' * 15}-+-{'-' * 26}-+-{'-' * 28}")
    for (events, slow_ms), (_, fast_ms) in zip(slow, fast, strict=True):
        print(f"{events:>15,} | {slow_ms:>26.2f} | {fast_ms:>28.2f}")
    rate = asyncio.run(engine_throughput(500))
    print(f"\nWhole engine, 500 orchestrations x 3 async activities: {rate:,.0f} orchestrations/s")


if __name__ == "__main__":
    main()

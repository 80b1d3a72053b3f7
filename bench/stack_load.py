"""Load through the whole local stack: N concurrent phone calls, inbound and outbound, for a while.

    .venv/bin/python -m bench.stack_load                             # N = 20,50,100,200, 60 s each
    .venv/bin/python -m bench.stack_load --calls 20 --seconds 30     # one level

Every process of `make run` on ephemeral ports (Azurite, the scripted Realtime simulator with the
tone voice, the ACS simulator, the function app in the local host with the Durable engine, the
bridge). For `--seconds`, the bench keeps N calls live: half arrive as IncomingCall through the
ACS simulator's Event Grid delivery, half are placed with `POST /api/call` and answered by the
simulator; calls arrive spread over the first 10 s rather than in one burst. Every caller hears
the greeting, asks for the balance (a tool call through the bridge and the function app), holds on
through the pause while the tool runs, hears the answer and hangs up; when a call ends the next one
starts. With `--keep DIR` the stack's data, logs and the incomplete records stay in DIR.

Afterwards every call must have an ended record with the complete transcript (greeting, the
caller's question, the answer) and its tool call. Reported: calls started per second, records
complete, p50/p99 of the host's handling time for ACS callbacks, Event Grid deliveries and the
bridge's internal calls (from the host's `function X -> status in N ms` log lines), errors
(missing or incomplete records, non-2xx answers, callbacks ACS had to retry), and each process's CPU
(user + system, from /proc) per call-second: what N calls would need from the machine.

With `--costs`, a second table gives the per-call figures docs/cost.md is built from: model tokens
per call-minute (from the usage each record keeps), function executions per call (HTTP and Event Grid
from the host's log; orchestrator episodes and activities from the Durable engine's history), Table
Storage transactions per call (Azurite's request log, which costs Azurite some CPU, hence opt-in) and
the function app's CPU seconds per call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from callcenter.agents.profiles import PROFILES
from devstack.run import Ports, Stack, build_stack, start, stop

BALANCE = "Your balance is fifty five dollars."
SCENARIO = {
    "greeting": "Hello.",
    "turns": [
        {
            "caller": "what is my balance",
            "agent": "Let me check.",
            "tool_calls": [{"name": "get_account_balance", "arguments": {"account_id": "ACC-1001"}}],
            "after_tools": BALANCE,
        }
    ],
}
# After "Let me check." the caller waits through up to 3 s of silence for the answer, as a person
# who was told to hold on would; the default 0.7 s gap marks the end of an ordinary turn.
SCRIPT = [
    {"wait_for_agent": 15},
    {"say": "what is my balance"},
    {"wait_for_agent": {"seconds": 20, "quiet_seconds": 3}},
    {"hangup": True},
]
# Calls arrive spread out, as independent callers do: at most target / RAMP_TICKS new calls per 0.5 s
# tick, so N calls are live after 10 s. Started all at once, N identical scripts stay in step and ask
# for their tool in the same instant, a burst no real line sees.
RAMP_TICKS = 20
HOST_LINE = re.compile(r"function (\w+) -> (\d+) in ([\d.]+) ms")
TIMED = ("call_callback", "incoming_call", "call_agent", "call_function", "call_events")


@dataclass
class Call:
    direction: str
    number: str  # the caller's (inbound) or callee's (outbound) number: unique per call
    started: float
    call_id: str = ""  # known at once for outbound calls, from the record list for inbound
    sim: dict[str, Any] = field(default_factory=dict)  # the simulator's summary


@dataclass
class Level:
    target: int
    seconds: float
    calls: list[Call] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    timings: dict[str, list[float]] = field(default_factory=dict)
    complete: int = 0
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per service, during the level
    call_seconds: float = 0.0  # summed over calls, answer to hang-up
    incomplete: list[dict[str, Any]] = field(default_factory=list)  # for a post-mortem (`--keep`)
    invocations: Counter[str] = field(default_factory=Counter)  # host log lines per function (HTTP, Event Grid)
    durable: Counter[str] = field(default_factory=Counter)  # orchestrator episodes and activity runs
    table_requests: int = 0  # Azurite's request log, with --costs
    usage: Counter[str] = field(default_factory=Counter)  # summed over complete records: tokens and seconds


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _connected_seconds(sim: dict[str, Any]) -> float:
    """How long the simulator's call was answered (its audio flowed)."""
    if not sim.get("answered_at") or not sim.get("ended_at"):
        return 0.0
    answered, ended = datetime.fromisoformat(sim["answered_at"]), datetime.fromisoformat(sim["ended_at"])
    return max(0.0, (ended - answered).total_seconds())


def _cpu_by_service(stack: Stack) -> dict[str, float]:
    return {s.name.split()[0]: _cpu_seconds(s.process.pid) for s in stack.services if s.process is not None}


async def _start_call(acs: httpx.AsyncClient, api: httpx.AsyncClient, level: Level, index: int) -> None:
    number = f"+1425{7_000_000 + index:07d}"
    call = Call("inbound" if index % 2 == 0 else "outbound", number, time.monotonic())
    level.calls.append(call)
    try:
        if call.direction == "inbound":
            body = {"from": number, "to": "+18005550100", "script": SCRIPT}
            response = await acs.post("/simulator/calls/inbound", json=body)
        else:
            await acs.post("/simulator/behaviours", json={number: {"kind": "answer", "script": SCRIPT}})
            response = await api.post("/api/call", json={"number": number, "agent": "telecom"})
            call.call_id = response.json().get("call_id", "") if response.status_code == 202 else ""
    except httpx.HTTPError as exc:
        level.errors[f"start {call.direction}: {type(exc).__name__}"] += 1
        return
    if response.status_code >= 300:
        level.errors[f"start {call.direction}: HTTP {response.status_code}"] += 1


async def _simulator_calls(acs: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """The simulator's calls by far-end number (each bench call has its own)."""
    calls = (await acs.get("/simulator/calls")).json()["calls"]
    return {c["far_end"]: c for c in calls}


async def _drive(stack: Stack, level: Level, first_index: int) -> None:
    """Keep `level.target` calls live for `level.seconds`, then wait for them all to hang up."""
    async with (
        httpx.AsyncClient(base_url=stack.acs_url, timeout=60) as acs,
        httpx.AsyncClient(base_url=stack.api_url, timeout=60) as api,
    ):
        until = time.monotonic() + level.seconds
        index = first_index
        while time.monotonic() < until:
            sims = await _simulator_calls(acs)
            live = sum(1 for c in level.calls if sims.get(c.number, {}).get("state") != "disconnected")
            wanted = min(level.target - live, -(-level.target // RAMP_TICKS))
            starts = [_start_call(acs, api, level, index + i) for i in range(wanted)]
            index += len(starts)
            await asyncio.gather(*starts)
            await asyncio.sleep(0.5)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            sims = await _simulator_calls(acs)
            if all(sims.get(c.number, {}).get("state") == "disconnected" for c in level.calls):
                break
            await asyncio.sleep(1)
        for call in level.calls:
            call.sim = sims.get(call.number, {})
            if call.sim.get("state") != "disconnected":
                level.errors["call never ended"] += 1
            level.call_seconds += _connected_seconds(call.sim)


async def _inbound_ids(api: httpx.AsyncClient) -> dict[str, str]:
    """Inbound call ids by ACS server call id (records mask the caller's number)."""
    found: dict[str, str] = {}
    token = None
    while True:
        params = {"direction": "inbound", "limit": 100, **({"page_token": token} if token else {})}
        page = (await api.get("/api/calls", params=params)).json()
        found.update({r["server_call_id"]: r["call_id"] for r in page["calls"]})
        token = page.get("next_page_token")
        if not token:
            return found


def _missing(detail: dict[str, Any], agent: str) -> str:
    """What an ended record lacks ("" when complete)."""
    lines = [(line["role"], line["text"]) for line in detail.get("transcript", [])]
    tools = [(t["name"], t["ok"]) for t in detail.get("tool_calls", [])]
    outcome = detail.get("record", {}).get("outcome")
    if outcome != "completed":
        return f"outcome {outcome}"
    if detail["record"].get("tool_calls", 0) > len(tools):  # counted from the events when the call ended
        return "stored events missing from the read"
    if ("agent", PROFILES[agent].greeting) not in lines:
        return "no greeting"
    if ("caller", "what is my balance") not in lines:
        return "no caller line"
    if ("agent", BALANCE) not in lines:
        return "no answer"
    return "" if tools == [("get_account_balance", True)] else "tool calls differ"


async def _check_records(stack: Stack, level: Level) -> None:
    """Every call has an ended record with its full transcript and tool call."""
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as api:
        inbound = await _inbound_ids(api)
        pending = list(level.calls)
        deadline = time.monotonic() + 120
        while pending and time.monotonic() < deadline:
            still: list[Call] = []
            for call in pending:
                call.call_id = call.call_id or inbound.get(call.sim.get("server_call_id", ""), "")
                detail = (await api.get(f"/api/calls/{call.call_id}")).json() if call.call_id else {}
                if detail.get("record", {}).get("status") != "ended":
                    still.append(call)
                elif not (gap := _missing(detail, "default" if call.direction == "inbound" else "telecom")):
                    level.complete += 1
                    record = detail["record"]
                    level.usage["input_tokens"] += int((record.get("usage") or {}).get("input_tokens", 0))
                    level.usage["output_tokens"] += int((record.get("usage") or {}).get("output_tokens", 0))
                    level.usage["seconds"] += float(record.get("duration_s") or 0.0)
                else:
                    level.errors[f"record: {gap}"] += 1
                    level.incomplete.append({"gap": gap, "simulator": call.sim, **detail})
            pending = still
            if pending:
                await asyncio.sleep(2)
                inbound = await _inbound_ids(api)
        level.errors["no ended record"] += len(pending)
    async with httpx.AsyncClient(base_url=stack.acs_url, timeout=60) as acs:
        for call in level.calls:
            if not call.sim.get("id"):
                continue
            detail = (await acs.get(f"/simulator/calls/{call.sim['id']}")).json()
            failed = [a for a in detail.get("callback_attempts", []) if a["status"] is None or a["status"] >= 300]
            level.errors["callback attempts not 2xx"] += len(failed)


def _read_host_log(path: Path, offset: int, level: Level) -> None:
    with path.open("rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    for name, status, ms in HOST_LINE.findall(text):
        level.timings.setdefault(name, []).append(float(ms))
        level.invocations[name] += 1
        if int(status) >= 500 or (int(status) >= 400 and name in TIMED):
            level.errors[f"{name} -> {status}"] += 1


# DTFx history event types (devstack/durable/history.py): one OrchestratorStarted per orchestrator
# episode (each is a billed execution on Azure), one TaskCompleted/TaskFailed per activity run.
_EPISODE, _ACTIVITY_DONE = 12, (5, 6)


def _durable_counts(folder: Path) -> Counter[str]:
    """Orchestrator episodes and activity runs in the Durable engine's history so far."""
    counts: Counter[str] = Counter()
    for path in folder.glob("*.sqlite3"):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            for (event,) in db.execute("SELECT event FROM history"):
                kind = json.loads(event).get("EventType")
                counts["history events"] += 1
                counts["orchestrator episodes"] += kind == _EPISODE
                counts["activities"] += kind in _ACTIVITY_DONE
    return counts


def _line_count(path: Path, marker: bytes) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as log:
        return sum(line.count(marker) for line in log)


TABLE_REQUEST = b"TableStorageContextMiddleware: RequestMethod="


def _percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(level: Level) -> str:
    started = len(level.calls)
    directions = Counter(c.direction for c in level.calls)
    cells = [
        f"{level.target}",
        f"{level.seconds:.0f}",
        f"{started} ({directions['inbound']} in / {directions['outbound']} out)",
        f"{started / level.seconds:.2f}",
        f"{level.complete}/{started}",
    ]
    for name in ("call_callback", "incoming_call", "call_function"):
        values = level.timings.get(name, [])
        cells.append(f"{_percentile(values, 50):.0f} / {_percentile(values, 99):.0f}")
    errors = sum(n for key, n in level.errors.items() if n)
    cells.append(str(errors) + (f" ({dict(+level.errors)})" if errors else ""))
    per_call_second = {name: ms / level.call_seconds for name, ms in level.cpu_ms.items()} if level.call_seconds else {}
    cells.append(", ".join(f"{name} {ms:.1f}" for name, ms in sorted(per_call_second.items())) or "-")
    cells.append(f"{sum(per_call_second.values()):.1f}" if per_call_second else "-")
    return "| " + " | ".join(cells) + " |"


def cost_report(level: Level) -> str:
    """The per-call inputs of docs/cost.md (bench/cost_model.py) for one level."""
    calls = max(level.complete, 1)
    minutes = level.usage["seconds"] / 60 or float("nan")
    http = sum(level.invocations.values())
    cells = [
        f"{level.target}",
        f"{level.complete}",
        f"{level.usage['seconds'] / calls:.1f}",
        f"{level.usage['input_tokens'] / minutes:.0f} / {level.usage['output_tokens'] / minutes:.0f}",
        f"{http / calls:.1f}",
        f"{level.durable['orchestrator episodes'] / calls:.1f}",
        f"{level.durable['activities'] / calls:.1f}",
        f"{level.durable['history events'] / calls:.1f}",
        f"{level.table_requests / calls:.1f}",
        f"{level.cpu_ms.get('function', 0.0) / 1000 / calls:.3f}",
    ]
    return "| " + " | ".join(cells) + " |"


COST_HEADER = (
    "| Concurrent calls | Complete records | Seconds per call | Tokens in / out per call-minute | "
    "HTTP + Event Grid executions per call | Orchestrator episodes per call | Activities per call | "
    "History events per call | Table transactions per call | Function CPU s per call |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)

HEADER = (
    "| Concurrent calls | Seconds | Calls started | Started/s | Complete records | "
    "Callback ms p50 / p99 | IncomingCall ms p50 / p99 | Tool call ms p50 / p99 | Errors | "
    "CPU ms per call-second by process | total |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|"
)


async def run(
    levels: list[int], seconds: float, data_dir: Path, persist: bool = False, costs: bool = False
) -> list[Level]:
    scenario = data_dir / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO))
    stack = build_stack(
        Ports.ephemeral(),
        data_dir,
        realtime_mode=["--scenario", str(scenario), "--voice", "tone"],
        persist=persist,
        extra_settings={"SESSION_RATE_LIMIT_PER_MINUTE": "10000", "NO_ANSWER_SECONDS": "60"},
        bridge_settings={"BRIDGE_MAX_CALLS": "1000"},
        acs_options=["--voice", "tone"],
    )
    table_log = data_dir / "logs" / "azurite-requests.log"
    if costs:
        table_log.parent.mkdir(parents=True, exist_ok=True)
        azurite = next(s for s in stack.services if s.name.startswith("azurite"))
        azurite.argv += ["--debug", str(table_log)]
    results: list[Level] = []
    try:
        await asyncio.to_thread(start, stack, data_dir / "logs", False)
        host_log = data_dir / "logs" / "function.log"
        index = 0
        for target in levels:
            level = Level(target, seconds)
            offset = host_log.stat().st_size
            cpu_before = _cpu_by_service(stack)
            durable_before = _durable_counts(data_dir / "durable")
            tables_before = _line_count(table_log, TABLE_REQUEST)
            await _drive(stack, level, index)
            cpu_after = _cpu_by_service(stack)
            level.cpu_ms = {name: 1000 * (cpu_after[name] - cpu_before.get(name, 0.0)) for name in cpu_after}
            index += len(level.calls)
            await _check_records(stack, level)
            _read_host_log(host_log, offset, level)
            level.durable = _durable_counts(data_dir / "durable") - durable_before
            level.table_requests = _line_count(table_log, TABLE_REQUEST) - tables_before
            results.append(level)
            (data_dir / f"incomplete-{target}.json").write_text(json.dumps(level.incomplete, indent=1))
            print(report(level), flush=True)
    finally:
        await asyncio.to_thread(stop, stack)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stack_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="20,50,100,200", help="concurrent calls per level, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each level keeps its calls live")
    parser.add_argument("--keep", type=Path, help="keep the stack's data and logs in this folder (for a post-mortem)")
    parser.add_argument("--costs", action="store_true", help="also count what a call uses (docs/cost.md's inputs)")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.calls.split(",") if n.strip()]
    print(HEADER, flush=True)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = asyncio.run(run(levels, args.seconds, args.keep, persist=True, costs=args.costs))
    else:
        with tempfile.TemporaryDirectory(prefix="stack-load-") as folder:
            results = asyncio.run(run(levels, args.seconds, Path(folder), costs=args.costs))
    if args.costs:
        print("\n" + COST_HEADER)
        for level in results:
            print(cost_report(level))
            calls = max(level.complete, 1)
            per_function = {name: round(n / calls, 2) for name, n in sorted(level.invocations.items())}
            print(f"  executions per call by function at {level.target}: {per_function}")


if __name__ == "__main__":
    main()

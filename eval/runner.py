"""Places each scenario as a real phone call through the stack and collects what happened.

The ACS simulator's phone plays the caller (eSpeak NG speech, as `make call` does): inbound calls
dial the function app's number; outbound calls are placed by the function app (`POST /api/call`)
and answered by the simulator with the caller's script. The call then runs through the bridge
and the model (the offline assistant, or Azure OpenAI), and the runner reads the call record,
transcript, tool calls and the two-sided recording back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devstack.run import ACS_NUMBER, Ports, build_stack, start, stop
from eval.scenario import Scenario
from eval.score import Outcome, judge, response_latencies

CALL_LIMIT_SECONDS = 240.0
QUIET_SECONDS = 2.5
_POLL = 0.3


@dataclass(frozen=True)
class Target:
    """Where the stack's function app and ACS simulator listen."""

    api_url: str
    acs_url: str
    api_key: str = ""  # function key (unused on loopback; kept for remote targets)


@contextlib.contextmanager
def local_stack(
    data: Path, extra_settings: dict[str, str] | None = None, bridge: dict[str, str] | None = None
) -> Iterator[Target]:
    """The whole local stack on free ports (offline assistant unless settings point elsewhere)."""
    built = build_stack(
        Ports.ephemeral(),
        data,
        realtime_mode=["--assistant"],
        persist=False,
        extra_settings=extra_settings,
        bridge_settings=bridge,
    )
    try:
        start(built, data / "logs", announce=False)
        yield Target(built.api_url, built.acs_url)
    finally:
        stop(built)


def caller_script(lines: list[str]) -> list[dict[str, Any]]:
    # The agent is done when it has been quiet for a while: "One moment." then a tool's answer
    # has a gap in between, which a loaded machine stretches.
    wait = {"wait_for_agent": {"seconds": 40, "quiet_seconds": QUIET_SECONDS}}
    script: list[dict[str, Any]] = [wait]
    for line in lines:
        script += [{"say": line}, wait]
    return [*script, {"silence": 1}, {"hangup": True}]


async def _wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await check()
        if found is not None:
            return found
        await asyncio.sleep(_POLL)
    raise TimeoutError(what)


async def _inbound(api: httpx.AsyncClient, acs: httpx.AsyncClient, caller: str, script: list[Any]) -> tuple[str, str]:
    response = await acs.post("/simulator/calls/inbound", json={"from": caller, "to": ACS_NUMBER, "script": script})
    response.raise_for_status()
    sim = response.json()

    async def record() -> str | None:
        for call in (await api.get("/api/calls", params={"limit": 100})).json().get("calls", []):
            if call.get("server_call_id") == sim["server_call_id"]:
                return str(call["call_id"])
        return None

    return await _wait_for(record, 30, "the function app did not answer the call"), str(sim["id"])


async def _outbound(
    api: httpx.AsyncClient, acs: httpx.AsyncClient, scenario: Scenario, script: list[Any], number: str
) -> tuple[str, str]:
    behaviour = {number: {"kind": "answer", "script": script}}
    (await acs.post("/simulator/behaviours", json=behaviour)).raise_for_status()
    body: dict[str, Any] = {"number": number, "agent": scenario.agent}
    if scenario.context:
        body["context"] = scenario.context
    response = await api.post("/api/call", json=body)
    if response.status_code != 202:
        raise RuntimeError(f"POST /api/call answered {response.status_code}: {response.text}")
    call_id = str(response.json()["call_id"])

    async def sim_call() -> str | None:
        for call in (await acs.get("/simulator/calls")).json()["calls"]:
            if call["far_end"] == number:
                return str(call["id"])
        return None

    return call_id, await _wait_for(sim_call, 30, "the ACS simulator never saw the outbound call")


async def run_scenario(target: Target, scenario: Scenario, variant: int, index: int) -> Outcome:
    """One scenario as one call; never raises (a broken call is a failed outcome)."""
    wording = [line.wording(variant) for line in scenario.lines]
    outcome = Outcome(scenario, wording)
    started = time.monotonic()
    script = caller_script(wording)
    try:
        async with (
            httpx.AsyncClient(base_url=target.api_url, timeout=20) as api,
            httpx.AsyncClient(base_url=target.acs_url, timeout=20) as acs,
        ):
            if scenario.direction == "outbound":
                number = f"+1425555{index % 10000:04d}"
                outcome.call_id, sim_id = await _outbound(api, acs, scenario, script, number)
            else:
                # Each call its own caller number: calls in parallel never look like one caller.
                caller = scenario.caller or f"+1425556{index % 10000:04d}"
                outcome.call_id, sim_id = await _inbound(api, acs, caller, script)

            async def ended() -> dict[str, Any] | None:
                detail = (await api.get(f"/api/calls/{outcome.call_id}")).json()
                return detail if detail.get("record", {}).get("status") == "ended" else None

            detail = await _wait_for(ended, CALL_LIMIT_SECONDS, f"call {outcome.call_id} did not end")
            outcome.seconds = time.monotonic() - started
            outcome.transcript = list(detail.get("transcript") or [])
            outcome.tool_calls = list(detail.get("tool_calls") or [])
            outcome.record = dict(detail.get("record") or {})

            async def audio() -> bytes | None:
                response = await acs.get(f"/simulator/calls/{sim_id}/audio", params={"side": "conversation"})
                return response.content if response.status_code == 200 else None

            with contextlib.suppress(TimeoutError):
                outcome.response_ms = response_latencies(await _wait_for(audio, 15, "no recording"))
    except (httpx.HTTPError, RuntimeError, TimeoutError, ValueError, KeyError) as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
        outcome.seconds = time.monotonic() - started
        return outcome
    outcome.failures = judge(outcome)
    return outcome


async def run_all(target: Target, scenarios: list[Scenario], parallel: int, variant: int = 0) -> list[Outcome]:
    """Every scenario, at most `parallel` calls at a time, in the given order."""
    gate = asyncio.Semaphore(max(1, parallel))

    async def one(index: int, scenario: Scenario) -> Outcome:
        async with gate:
            outcome = await run_scenario(target, scenario, variant, index)
        verdict = "pass" if outcome.passed else "FAIL"
        why = "" if outcome.passed else f": {outcome.error or '; '.join(outcome.failures)}"
        print(f"  {verdict} {scenario.suite}/{scenario.name} ({outcome.seconds:.0f} s){why}", flush=True)
        return outcome

    return list(await asyncio.gather(*(one(i, s) for i, s in enumerate(scenarios))))

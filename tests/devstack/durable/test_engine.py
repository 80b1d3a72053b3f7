"""The engine without HTTP: non-determinism, persistence across restarts, retries, many instances."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devstack.durable import VirtualClock
from devstack.durable.actions import Action, ActionType, OrchestratorResult, RetryPolicy
from devstack.durable.history import EventType, task_failed, task_scheduled
from devstack.durable.replay import Ledger, Slot, decide
from devstack.host.function_index import load_functions
from tests.devstack.durable.conftest import APP, bare_engine, engine_input


@pytest.fixture
def behaviour() -> Iterator[dict[str, str]]:
    load_functions(APP)
    path = str(APP / "function_app.py")
    module = next(m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == path)
    shared = module.behaviour
    saved = dict(shared)
    yield shared
    shared.clear()
    shared.update(saved)


async def test_changed_orchestrator_code_fails_with_the_mismatch(tmp_path: Path, behaviour: dict) -> None:
    async with bare_engine(tmp_path, VirtualClock()) as engine:
        instance = await engine.client.start_new("drifting", None, engine_input(None))
        await engine.run_until_idle()
        behaviour["first_step"] = "shout"  # the code now schedules a different first activity
        await engine.client.raise_event(instance, "next", "1")
        result = await engine.wait_for(instance)
    assert result["runtimeStatus"] == "Failed"
    assert result["output"].startswith("Orchestrator function 'drifting' failed: Non-Deterministic workflow detected")
    assert "sequence number 0 named 'hello'" in result["output"] and "named 'shout'" in result["output"]


def test_replay_that_drops_a_recorded_task_is_non_deterministic() -> None:
    ledger = Ledger(next_id=1, slots=[Slot(int(ActionType.CALL_ACTIVITY), "charge_card", 0)])
    result = OrchestratorResult(is_done=True, output=None)
    decision = decide(
        ledger, name="billing", instance_id="i", execution_id="e", batch=[], result=result, error=None, now=_now()
    )
    assert decision.outcome == "Failed"
    assert "sequence ID 0 and name 'charge_card'" in (decision.failure_details or "")
    assert "hasn't (yet?) scheduled this task" in (decision.failure_details or "")


def test_retry_failure_takes_the_next_sequence_number_before_new_actions() -> None:
    ledger = Ledger()
    retry = Action(ActionType.CALL_ACTIVITY_WITH_RETRY, "dial", '"x"', retry=_policy(5000, 2))
    first = decide(
        ledger,
        name="o",
        instance_id="i",
        execution_id="e",
        batch=[],
        result=OrchestratorResult(False, [retry]),
        error=None,
        now=_now(),
    )
    assert [e["EventType"] for e in first.scheduled] == [EventType.TASK_SCHEDULED]
    failure = task_failed(_now(), 0, "busy", None)
    second = decide(
        ledger,
        name="o",
        instance_id="i",
        execution_id="e",
        batch=[failure],
        result=OrchestratorResult(False, [retry, Action(ActionType.CALL_ACTIVITY, "log", "1")]),
        error=None,
        now=_now(),
    )
    timer, log = second.scheduled
    assert timer["EventType"] == EventType.TIMER_CREATED and timer["EventId"] == 1
    assert timer["FireAt"] == "2025-01-06T09:00:05.000000Z"
    assert log == task_scheduled(_now(), 2, "log", "1")


async def test_retry_succeeds_on_the_third_attempt(tmp_path: Path) -> None:
    clock = VirtualClock()
    async with bare_engine(tmp_path, clock) as engine:
        job = {"key": "engine-third", "succeed_on": 3, "interval_ms": 1000}
        instance = await engine.client.start_new("retrying", None, engine_input(job))
        await engine.run_until_idle()
        await clock.advance(timedelta(seconds=2))
        result = await engine.wait_for(instance)
    assert result["output"] == "succeeded on attempt 3"


async def test_restarted_engine_resumes_timers_and_waits(tmp_path: Path) -> None:
    clock = VirtualClock()
    async with bare_engine(tmp_path, clock) as engine:
        timed = await engine.client.start_new("approval", "timed", engine_input({"hours": 5}))
        waiting = await engine.client.start_new("waiter", "waiting", engine_input(None))
        await engine.run_until_idle()
    async with bare_engine(tmp_path, clock) as engine:
        assert (await engine.client.get_status(timed))["runtimeStatus"] == "Running"
        await engine.client.raise_event(waiting, "go", json.dumps(7))
        await clock.advance(timedelta(hours=5))
        assert (await engine.wait_for(timed))["output"]["approved"] is None
        assert (await engine.wait_for(waiting))["output"] == [7, "Hello again!"]


async def test_a_thousand_instances_with_timers_all_complete(tmp_path: Path) -> None:
    clock = VirtualClock()
    async with bare_engine(tmp_path, clock) as engine:
        ids = [
            await engine.client.start_new("sleeper", f"s{n}", engine_input({"days": 1 + n % 3})) for n in range(1000)
        ]
        await engine.run_until_idle(timeout=60)
        await clock.advance(timedelta(days=3))
        statuses = [(await engine.client.get_status(i))["runtimeStatus"] for i in ids]
    assert statuses == ["Completed"] * 1000


async def test_unknown_activity_fails_the_task_not_the_engine(tmp_path: Path, behaviour: dict) -> None:
    behaviour["first_step"] = "no_such_activity"
    async with bare_engine(tmp_path, VirtualClock()) as engine:
        instance = await engine.client.start_new("chaining", None, engine_input({"name": "z"}))
        result = await engine.wait_for(instance)
    assert result["runtimeStatus"] == "Failed"
    assert (
        "Activity function 'no_such_activity' failed: Activity function 'no_such_activity' does not exist."
        in result["output"]
    )


def _now() -> datetime:
    return VirtualClock().now()


def _policy(interval_ms: int, attempts: int) -> RetryPolicy:
    return RetryPolicy(interval_ms, attempts)

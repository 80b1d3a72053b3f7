"""What the Durable extension produces, byte for byte where clients read it: showHistory, failure text, names.

Shapes checked against the extension's source (azure-functions-durable-extension):
`DurableClient.GetDurableOrchestrationStatusAsync` (history condensing), `TaskActivityShim`
(`Activity function 'X' failed: ...`), `FunctionName` (names compare ignoring case).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devstack.durable import VirtualClock
from devstack.durable import history as h
from devstack.durable.instance import condense_history
from devstack.host.function_index import load_functions
from tests.devstack.durable.conftest import APP, Hosted, bare_engine, engine_input, hosted

API = "/runtime/webhooks/durabletask"
NET_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


@pytest.fixture
def behaviour() -> Iterator[dict[str, str]]:
    load_functions(APP)
    path = str(APP / "function_app.py")
    module = next(m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == path)
    saved = dict(module.behaviour)
    yield module.behaviour
    module.behaviour.clear()
    module.behaviour.update(saved)


def test_running_activity_shows_as_task_scheduled_and_completed_ones_absorb_their_scheduling() -> None:
    t = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    events = [
        h.orchestrator_started(t),
        h.execution_started(t, name="flow", instance_id="i", execution_id="e", input_json='"in"', parent=None),
        h.task_scheduled(t, 0, "first", '"a"'),
        h.task_scheduled(t, 1, "second", '"b"'),
        h.timer_created(t, 2, t + timedelta(hours=1)),
        h.orchestrator_completed(t),
        h.orchestrator_started(t + timedelta(seconds=1)),
        h.task_completed(t + timedelta(seconds=1), 0, '"A"'),
        h.orchestrator_completed(t + timedelta(seconds=1)),
    ]
    condensed = condense_history(events, show_output=False)
    assert [e["EventType"] for e in condensed] == ["ExecutionStarted", "TaskScheduled", "TimerCreated", "TaskCompleted"]
    started, running, timer, done = condensed
    assert started["FunctionName"] == "flow" and "Name" not in started and "OrchestrationInstance" not in started
    assert running["Name"] == "second" and running["Input"] == '"b"' and "Version" not in running
    assert timer["FireAt"] == "2025-01-02T04:04:05.1234560Z"
    assert done["FunctionName"] == "first" and done["Input"] == '"a"' and "Result" not in done
    assert done["ScheduledTime"] == "2025-01-02T03:04:05.1234560Z"
    for event in condensed:
        assert "EventId" not in event and "IsPlayed" not in event and "TaskScheduledId" not in event
        assert NET_TIME.match(event["Timestamp"]), event["Timestamp"]
    with_output = condense_history(events, show_output=True, show_input=False)
    assert with_output[-1]["Result"] == "A"
    assert all("Input" not in event for event in with_output)


async def test_status_api_lists_a_pending_timer_as_timer_created(tmp_path: Path) -> None:
    async with hosted(tmp_path) as app:
        instance = (await app.start("approval", {"hours": 5}))["id"]
        await app.engine.run_until_idle()
        response = await app.http.get(f"{API}/instances/{instance}", params={"showHistory": "true"})
    kinds = [event["EventType"] for event in response.json()["historyEvents"]]
    assert kinds == ["ExecutionStarted", "TimerCreated"]


async def test_status_api_history_of_a_finished_chain(app: Hosted) -> None:
    instance = (await app.start("chaining", {"name": "z"}))["id"]
    await app.engine.wait_for(instance)
    response = await app.http.get(
        f"{API}/instances/{instance}", params={"showHistory": "true", "showHistoryOutput": "true"}
    )
    history = response.json()["historyEvents"]
    assert [e["EventType"] for e in history] == ["ExecutionStarted"] + ["TaskCompleted"] * 3 + ["ExecutionCompleted"]
    assert [e.get("FunctionName") for e in history[1:4]] == ["hello", "hello", "price"]
    assert history[1]["Result"] == "Hello z!" and history[-1]["OrchestrationStatus"] == "Completed"


async def test_failed_activity_reason_reads_as_the_extension_writes_it(tmp_path: Path) -> None:
    clock = VirtualClock()
    async with bare_engine(tmp_path, clock) as engine:
        job = {"key": "shape-fail", "succeed_on": 9, "interval_ms": 1000}
        instance = await engine.client.start_new("retrying", None, engine_input(job))
        await engine.run_until_idle()
        await clock.advance(timedelta(seconds=5))
        result = await engine.wait_for(instance)
    assert result["runtimeStatus"] == "Failed"
    assert "Activity function 'flaky' failed: ConnectionError: attempt 3 failed" in result["output"]


async def test_function_names_resolve_ignoring_case(tmp_path: Path, behaviour: dict[str, str]) -> None:
    behaviour["first_step"] = "HeLLo"  # the orchestrator calls the activity `hello` in another case
    async with bare_engine(tmp_path, VirtualClock()) as engine:
        instance = await engine.client.start_new("CHAINING", None, engine_input({"name": "z"}))
        result = await engine.wait_for(instance)
    assert result["runtimeStatus"] == "Completed", result["output"]
    assert result["output"][0] == "Hello z!"

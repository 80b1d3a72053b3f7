"""A hand-driven stand-in for `DurableOrchestrationContext`, in the manner of the official Durable
samples' orchestrator tests: the orchestrator runs as a plain generator, no host, no history.

`drive()` plays a script against it: events arrive in order; whenever the orchestrator waits with
no scripted event due, the earliest running timer fires (time jumps to its deadline). Activities
complete at once with the results the test gives (or defaults), unless an event is scripted to
arrive `during` that activity.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from callcenter.orchestrations import call_activities as act
from callcenter.orchestrations.call_lifecycle import call_lifecycle

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ORCHESTRATOR = call_lifecycle.build().get_user_function().orchestrator_function


class FakeTask:
    def __init__(self, kind: str, name: str = "", data: Any = None, deadline: datetime | None = None) -> None:
        self.kind = kind  # "event", "timer", "activity" or "any"
        self.name = name
        self.data = data  # an activity's input, or the tasks of a task_any
        self.deadline = deadline
        self.cancelled = False
        self.result: Any = None

    def cancel(self) -> None:
        self.cancelled = True


class FakeContext:
    """The parts of the context `call_lifecycle` uses."""

    def __init__(self, call: dict[str, Any]) -> None:
        self.now = START
        self._input = call
        self.statuses: list[dict[str, Any]] = []

    @property
    def current_utc_datetime(self) -> datetime:
        return self.now.replace(tzinfo=None)  # the SDK's time may come without a zone

    def get_input(self) -> dict[str, Any]:
        return self._input

    def set_custom_status(self, status: dict[str, Any]) -> None:
        self.statuses.append(dict(status))

    def wait_for_external_event(self, name: str) -> FakeTask:
        assert name == "call_event"
        return FakeTask("event", name)

    def create_timer(self, deadline: datetime) -> FakeTask:
        return FakeTask("timer", deadline=deadline.replace(tzinfo=UTC) if deadline.tzinfo is None else deadline)

    def call_activity(self, name: str, data: Any = None) -> FakeTask:
        return FakeTask("activity", name, data)

    def call_activity_with_retry(self, name: str, retry: Any, data: Any = None) -> FakeTask:
        return FakeTask("activity", name, data)

    def task_any(self, tasks: list[FakeTask]) -> FakeTask:
        return FakeTask("any", data=tasks)


@dataclass
class Event:
    """A `call_event` the script delivers: `kind` plus fields; `after` seconds after the previous
    happening; `during` an activity to arrive while that activity runs."""

    kind: str
    after: float = 0.0
    during: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


def event(kind: str, after: float = 0.0, during: str = "", **fields: Any) -> Event:
    return Event(kind, after, during, fields)


@dataclass
class Run:
    """What one orchestration did."""

    context: FakeContext
    activities: list[tuple[str, Any]]
    record: Any
    left: list[Event]

    def names(self) -> list[str]:
        return [name for name, _ in self.activities]

    def inputs(self, name: str) -> list[Any]:
        return [data for activity, data in self.activities if activity == name]

    @property
    def ending(self) -> dict[str, Any]:
        return dict(self.inputs(act.FINALIZE_CALL)[-1])


DEFAULT_RESULTS: dict[str, Callable[[Any], Any]] = {
    act.PLACE_CALL: lambda _: {"ok": True, "call_connection_id": "conn-1", "server_call_id": "srv-1"},
    act.TRANSFER_CALL: lambda _: {"ok": True},
    act.HANG_UP: lambda _: {"ok": True},
    act.START_RECORDING: lambda _: {"ok": True},
    act.FINALIZE_CALL: lambda ending: dict(ending),
}


def call_input(direction: str = "inbound", **overrides: Any) -> dict[str, Any]:
    call = {
        "call_id": "call-1",
        "direction": direction,
        "agent": "telecom",
        "to_number": "+14255550100" if direction == "outbound" else "",
        "call_connection_id": "",
        "server_call_id": "",
        "record_call": False,
        "no_answer_seconds": 45,
        "max_call_seconds": 1800,
    }
    return {**call, **overrides}


def drive(call: dict[str, Any], script: list[Event], results: dict[str, Callable[[Any], Any]] | None = None) -> Run:
    """Run the orchestrator to completion against `script`; fails if it would wait forever."""
    context = FakeContext(call)
    answers = {**DEFAULT_RESULTS, **(results or {})}
    pending = list(script)
    activities: list[tuple[str, Any]] = []
    generator: Iterator[Any] = ORCHESTRATOR(context)
    value: Any = None
    for _ in range(10_000):  # bounded: an orchestration that never ends fails the test
        try:
            task = generator.send(value)
        except StopIteration as stop:
            return Run(context, activities, stop.value, pending)
        if task.kind == "activity":
            activities.append((task.name, json.loads(json.dumps(task.data))))  # it must survive JSON
            value = answers.get(task.name, lambda _: None)(task.data)
        else:
            value = _winner(context, task.data, pending)
    raise AssertionError("the orchestration did not finish")


def _deliver(context: FakeContext, wait: FakeTask, item: Event) -> FakeTask:
    context.now += timedelta(seconds=item.after)
    # The SDK client sends the payload JSON-encoded twice: it arrives as text.
    wait.result = json.dumps({"kind": item.kind, **item.fields})
    return wait


def _winner(context: FakeContext, tasks: list[FakeTask], pending: list[Event]) -> FakeTask:
    wait = next(t for t in tasks if t.kind == "event")
    activity = next((t for t in tasks if t.kind == "activity"), None)
    if activity is not None:
        if pending and pending[0].during == activity.name:
            return _deliver(context, wait, pending.pop(0))
        return activity
    timers = sorted((t for t in tasks if t.kind == "timer" and not t.cancelled), key=lambda t: t.deadline or START)
    due = timers[0] if timers else None
    if pending and not pending[0].during:
        arrives = context.now + timedelta(seconds=pending[0].after)
        if due is None or due.deadline is None or arrives < due.deadline:
            return _deliver(context, wait, pending.pop(0))
        pending[0].after = (arrives - due.deadline).total_seconds()
    if due is None or due.deadline is None:
        raise AssertionError(f"the orchestration waits for an event the script does not send (left: {pending})")
    context.now = max(context.now, due.deadline)
    return due

"""The replay core, without I/O: match one episode's actions to history, decide what happens next.

This plays the part of the extension's out-of-process shim plus DTFx's replay checks. After the SDK
replays an episode it returns every action of the generation so far. Actions already seen in earlier
episodes must match what was recorded (`Ledger.slots`), or the orchestration is non-deterministic and
fails with DTFx's wording. Actions past that prefix are new: each numbered one takes the next
sequence number and becomes a history event plus a piece of work (activity, timer, child).

Retries are the one place where sequence numbers are not visible in the action list: the SDK's
`RetryAbleTask` silently takes a number for the retry timer when an attempt fails and another for
the next attempt when that timer fires (DTFx's `RetryInterceptor` does the same). The engine keeps
those events first in their episode (see `is_retry_event`), so their numbers are always taken before
any action the same episode adds; `decide` allocates them first to stay in step with the SDK.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from devstack.durable import history as h
from devstack.durable.actions import UNSUPPORTED, Action, ActionType, OrchestratorResult, RetryPolicy

_KIND_NOUN = {
    ActionType.CALL_ACTIVITY: "an activity task",
    ActionType.CALL_ACTIVITY_WITH_RETRY: "an activity task",
    ActionType.CALL_SUB_ORCHESTRATOR: "a sub-orchestration task",
    ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY: "a sub-orchestration task",
    ActionType.CREATE_TIMER: "a timer task",
}
_SUB_ORCHESTRATIONS = (ActionType.CALL_SUB_ORCHESTRATOR, ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY)


@dataclass(slots=True)
class Slot:
    """An action already processed in this generation, with the sequence number it took."""

    kind: int
    name: str | None
    task_id: int | None


@dataclass(slots=True)
class RetryState:
    """Book-keeping for one -WithRetry action: its attempts and the timers between them."""

    kind: int
    name: str
    input_json: str | None
    instance_id: str | None
    first_interval_ms: int
    max_attempts: int
    attempt_ids: list[int] = field(default_factory=list)
    timer_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Ledger:
    """Per-generation replay state, persisted beside the history (JSON)."""

    next_id: int = 0
    slots: list[Slot] = field(default_factory=list)
    retries: list[RetryState] = field(default_factory=list)
    # Derived lookups: sequence number -> index into `retries`.
    _by_attempt: dict[int, int] = field(default_factory=dict, repr=False)
    _by_timer: dict[int, int] = field(default_factory=dict, repr=False)

    def to_json(self) -> str:
        """Serialise for the store."""
        return json.dumps(
            {
                "next_id": self.next_id,
                "slots": [[s.kind, s.name, s.task_id] for s in self.slots],
                "retries": [asdict(r) for r in self.retries],
            }
        )

    @classmethod
    def from_json(cls, text: str | None) -> Ledger:
        """Rebuild from the store (an empty ledger for a fresh generation)."""
        if not text:
            return cls()
        data = json.loads(text)
        ledger = cls(next_id=data["next_id"], slots=[Slot(*s) for s in data["slots"]])
        for raw in data["retries"]:
            ledger._add_retry(RetryState(**raw))
        return ledger

    def _add_retry(self, state: RetryState) -> None:
        index = len(self.retries)
        self.retries.append(state)
        for attempt in state.attempt_ids:
            self._by_attempt[attempt] = index
        for timer in state.timer_ids:
            self._by_timer[timer] = index

    def take_id(self) -> int:
        """Hand out the next sequence number."""
        task_id = self.next_id
        self.next_id += 1
        return task_id


class Outcome(StrEnum):
    """How a generation ended in this episode."""

    COMPLETED = "Completed"
    FAILED = "Failed"
    CONTINUED_AS_NEW = "ContinuedAsNew"


@dataclass(frozen=True, slots=True)
class ActivityWork:
    task_id: int
    name: str
    input_json: str | None


@dataclass(frozen=True, slots=True)
class TimerWork:
    timer_id: int
    fire_at: datetime


@dataclass(frozen=True, slots=True)
class ChildWork:
    task_id: int
    name: str
    instance_id: str
    input_json: str | None  # the child's ExecutionStarted.Input


@dataclass(slots=True)
class Decision:
    """Everything one episode produced: history to append, work to start, and how it ended."""

    scheduled: list[h.Event] = field(default_factory=list)
    activities: list[ActivityWork] = field(default_factory=list)
    timers: list[TimerWork] = field(default_factory=list)
    children: list[ChildWork] = field(default_factory=list)
    canceled_timers: list[int] = field(default_factory=list)
    outcome: Outcome | None = None
    output_json: str | None = None  # Completed: output; Failed: message; ContinuedAsNew: new input
    failure_details: str | None = None
    custom_status_json: str | None = None


def is_retry_event(ledger: Ledger, event: h.Event) -> bool:
    """Whether processing `event` makes the SDK take a hidden sequence number (see module doc)."""
    kind = event["EventType"]
    if kind in (h.EventType.TASK_FAILED, h.EventType.SUB_ORCHESTRATION_INSTANCE_FAILED):
        return event["TaskScheduledId"] in ledger._by_attempt
    if kind == h.EventType.TIMER_FIRED:
        return event["TimerId"] in ledger._by_timer
    return False


def decide(
    ledger: Ledger,
    *,
    name: str,
    instance_id: str,
    execution_id: str,
    batch: list[h.Event],
    result: OrchestratorResult | None,
    error: str | None,
    now: datetime,
) -> Decision:
    """Turn one episode's SDK result into a decision, updating `ledger` in place.

    Args:
        batch: the new events of this episode, in the order handed to the SDK.
        result: the parsed state (also present for a failure when the SDK embedded it).
        error: the orchestrator's failure message when its code raised.
    """
    decision = Decision()
    if result is not None and result.custom_status is not None:
        decision.custom_status_json = json.dumps(result.custom_status)
    actions = result.actions if result is not None else []
    mismatch = _check_prefix(ledger, actions)
    if mismatch:
        return _fail(decision, name, f"Non-Deterministic workflow detected: {mismatch}")
    for index, action in enumerate(actions[: len(ledger.slots)]):
        slot = ledger.slots[index]
        if action.kind == ActionType.CREATE_TIMER and action.is_canceled and slot.task_id is not None:
            decision.canceled_timers.append(slot.task_id)
    if error is not None:
        return _fail(decision, name, error)
    _allocate_retry(ledger, batch, decision, instance_id, execution_id, now)
    for action in actions[len(ledger.slots) :]:
        if action.kind in UNSUPPORTED:
            return _fail(
                decision,
                name,
                f"{action.kind.name} actions (entities, durable HTTP) are not supported by the local "
                "Durable engine; see devstack/README.md",
            )
        _schedule(ledger, action, decision, instance_id, execution_id, now)
    if result is None or not result.is_done:
        return decision
    continuation = next((a for a in actions if a.kind == ActionType.CONTINUE_AS_NEW), None)
    if continuation is not None:
        decision.outcome = Outcome.CONTINUED_AS_NEW
        decision.output_json = json.dumps(continuation.input_json)
    else:
        decision.outcome = Outcome.COMPLETED
        decision.output_json = json.dumps(result.output)
    return decision


def failure_message(name: str, error: str) -> str:
    """The output of a failed orchestration, worded like the extension's."""
    return f"Orchestrator function '{name}' failed: {error}"


def _fail(decision: Decision, name: str, error: str) -> Decision:
    decision.outcome = Outcome.FAILED
    decision.output_json = json.dumps(failure_message(name, error))
    decision.failure_details = error
    decision.scheduled.clear()
    decision.activities.clear()
    decision.timers.clear()
    decision.children.clear()
    return decision


def _check_prefix(ledger: Ledger, actions: list[Action]) -> str | None:
    """Compare this replay's actions with the ones recorded earlier; describe the first mismatch."""
    for index, slot in enumerate(ledger.slots):
        if index >= len(actions):
            if slot.task_id is None:
                continue
            noun = _KIND_NOUN.get(ActionType(slot.kind), "a task")
            return (
                f"A previous execution of this orchestration scheduled {noun} with sequence ID "
                f"{slot.task_id} and name '{slot.name or ''}', but the current replay execution hasn't "
                "(yet?) scheduled this task. Was a change made to the orchestrator code after this "
                "instance had already started running?"
            )
        action = actions[index]
        if slot.task_id is None and not action.numbered:
            continue
        old_noun = _KIND_NOUN.get(ActionType(slot.kind), "a wait for an external event")
        new_noun = _KIND_NOUN.get(action.kind, f"a {action.kind.name} action")
        same_family = old_noun == new_noun
        same_name = (slot.name or "").lower() == (action.name or "").lower()
        if same_family and (same_name or action.kind == ActionType.CREATE_TIMER):
            continue
        where = f"sequence number {slot.task_id}" if slot.task_id is not None else f"position {index}"
        return (
            f"A previous execution of this orchestration scheduled {old_noun} with {where} named "
            f"'{slot.name or ''}', but the current orchestration replay instead scheduled {new_noun} "
            f"named '{action.name or ''}' at this position. Was a change made to the orchestrator code "
            "after this instance had already started running?"
        )
    return None


def _allocate_retry(
    ledger: Ledger, batch: list[h.Event], decision: Decision, instance_id: str, execution_id: str, now: datetime
) -> None:
    """Take the hidden sequence number of the episode's retry event, if it leads the batch."""
    first = next((e for e in batch if e["EventType"] in h.COMPLETION_TYPES), None)
    if first is None or not is_retry_event(ledger, first):
        return
    if first["EventType"] == h.EventType.TIMER_FIRED:
        state = ledger.retries[ledger._by_timer[first["TimerId"]]]
        if len(state.attempt_ids) >= state.max_attempts:
            return  # the SDK now fails the retry task; no new attempt
        task_id = ledger.take_id()
        state.attempt_ids.append(task_id)
        ledger._by_attempt[task_id] = ledger._by_timer[first["TimerId"]]
        _start_attempt(state, task_id, decision, instance_id, execution_id, now)
        return
    index = ledger._by_attempt[first["TaskScheduledId"]]
    state = ledger.retries[index]
    attempts = len(state.attempt_ids)
    # RetryInterceptor waits first interval * backoff^(attempt-1) (the Python SDK fixes backoff at 1);
    # after the last attempt DTFx keeps a zero-delay "dummy timer for back-compat".
    delay = timedelta(0) if attempts >= state.max_attempts else timedelta(milliseconds=state.first_interval_ms)
    fire_at = now + delay
    timer_id = ledger.take_id()
    state.timer_ids.append(timer_id)
    ledger._by_timer[timer_id] = index
    decision.scheduled.append(h.timer_created(now, timer_id, fire_at))
    decision.timers.append(TimerWork(timer_id, fire_at))


def _start_attempt(
    state: RetryState, task_id: int, decision: Decision, instance_id: str, execution_id: str, now: datetime
) -> None:
    kind = ActionType(state.kind)
    if kind in _SUB_ORCHESTRATIONS:
        child_id = state.instance_id or child_instance_id(instance_id, execution_id, task_id)
        decision.scheduled.append(h.sub_orchestration_created(now, task_id, state.name, child_id, state.input_json))
        decision.children.append(ChildWork(task_id, state.name, child_id, json.dumps(state.input_json)))
    else:
        decision.scheduled.append(h.task_scheduled(now, task_id, state.name, state.input_json))
        decision.activities.append(ActivityWork(task_id, state.name, state.input_json))


def _schedule(
    ledger: Ledger, action: Action, decision: Decision, instance_id: str, execution_id: str, now: datetime
) -> None:
    if not action.numbered:
        ledger.slots.append(Slot(int(action.kind), action.name, None))
        return
    task_id = ledger.take_id()
    ledger.slots.append(Slot(int(action.kind), action.name, task_id))
    if action.kind == ActionType.CREATE_TIMER:
        fire_at = action.fire_at or now
        decision.scheduled.append(h.timer_created(now, task_id, fire_at))
        if not action.is_canceled:
            decision.timers.append(TimerWork(task_id, fire_at))
        return
    state = RetryState(
        kind=int(action.kind),
        name=action.name or "",
        input_json=action.input_json,
        instance_id=action.instance_id,
        first_interval_ms=action.retry.first_interval_ms if action.retry else 0,
        max_attempts=action.retry.max_attempts if action.retry else 1,
        attempt_ids=[task_id],
    )
    if action.retry is not None:
        ledger._add_retry(state)
    _start_attempt(state, task_id, decision, instance_id, execution_id, now)


def child_instance_id(instance_id: str, execution_id: str, task_id: int) -> str:
    """A deterministic id for a sub-orchestration started without one."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"durable:{instance_id}/{execution_id}/{task_id}").hex


__all__ = [
    "ActivityWork",
    "ChildWork",
    "Decision",
    "Ledger",
    "Outcome",
    "RetryPolicy",
    "TimerWork",
    "child_instance_id",
    "decide",
    "failure_message",
    "is_retry_event",
]

"""The `call_lifecycle` orchestration: one instance per call, id = call id.

A thin loop around the pure transition function in `call_transitions.py`: it performs the actions
(timers, activities, the final record) and feeds back what happens. Every outside happening
arrives as one external event, `call_event` (`callcenter.calls.CallEvent`), whose payload names
its kind.

One wait for `call_event` is always outstanding, even while an activity or timer runs (see
`CallInbox`): the Python SDK (1.7.0) keeps an event that arrives with nobody waiting in a
per-name "deferred" slot, keeps only the latest such event, and hands that same event to every
later wait on the name -- an orchestration that ignores it would loop on it forever.
"""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import azure.durable_functions as df

from callcenter.calls import CALL_EVENT, CallEvent, CallEventKind, CallInput, CallStatus
from callcenter.orchestrations import call_activities as act
from callcenter.orchestrations import call_transitions as flow

bp = df.Blueprint()

# The final record must survive a storage outage: retry every 5 s for about a minute (the Python
# SDK's RetryOptions has a fixed interval; activities are idempotent writes of the same record).
FINALIZE_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=12)


def parse_event(value: Any) -> CallEvent | None:
    """An external event's payload, or None when it names no known kind.

    The SDK client sends payloads JSON-encoded twice, so they arrive as text
    (azure-functions-durable-python#295).
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
        return None
    try:
        kind = CallEventKind(value["kind"])
    except ValueError:
        return None
    return cast(CallEvent, {**value, "kind": kind})


def now_of(context: df.DurableOrchestrationContext) -> datetime:
    """The orchestration's replay-safe time, as an aware UTC datetime."""
    now: datetime = context.current_utc_datetime
    return now if now.tzinfo else now.replace(tzinfo=UTC)


class CallInbox:
    """The call's events in arrival order, with one `call_event` wait always outstanding, and the
    call's running timers.

    `run(task)` awaits an activity while still receiving events (queued for later); `next()`
    returns the next event or fired timer.
    """

    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self._context = context
        self._queue: deque[CallEvent] = deque()  # events received while something else was awaited
        self._wait = context.wait_for_external_event(CALL_EVENT)  # the outstanding wait
        self._timers: dict[flow.Timer, Any] = {}  # running timers by name

    def _receive(self) -> None:
        event = parse_event(self._wait.result)
        if event is not None:
            self._queue.append(event)
        self._wait = self._context.wait_for_external_event(CALL_EVENT)

    def schedule(self, timer: flow.Timer, seconds: int) -> None:
        self.cancel(timer)
        deadline = now_of(self._context) + timedelta(seconds=seconds)
        self._timers[timer] = self._context.create_timer(deadline)

    def cancel(self, timer: flow.Timer) -> None:
        task = self._timers.pop(timer, None)
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        for timer in list(self._timers):
            self.cancel(timer)

    def run(self, task: Any) -> Any:
        """Await `task` (its result, or its exception raised) while queueing events."""
        while True:
            winner = yield self._context.task_any([task, self._wait])
            if winner is self._wait:
                self._receive()
                continue
            return (yield task)

    def next(self) -> Any:
        """The next happening: a queued or new event, or a timer that fired."""
        while not self._queue:
            winner = yield self._context.task_any([self._wait, *self._timers.values()])
            if winner is self._wait:
                self._receive()
                continue
            for name, task in list(self._timers.items()):
                if winner is task:
                    del self._timers[name]
                    return flow.TimerFired(name)
        return flow.Received(self._queue.popleft())


def _report(context: df.DurableOrchestrationContext, state: flow.CallState, reported: CallStatus | None) -> CallStatus:
    """Keep the custom status (`{"state", "outcome"?}`) in step with the call's phase."""
    if state.status is reported:
        return reported
    status: dict[str, str] = {"state": state.status}
    if state.status is CallStatus.ENDED and state.ending is not None:
        status["outcome"] = state.ending.outcome
    context.set_custom_status(status)
    return state.status


@bp.orchestration_trigger(context_name="context")
def call_lifecycle(context: df.DurableOrchestrationContext) -> Any:
    call: CallInput = context.get_input()
    inbox = CallInbox(context)
    state, actions = flow.start(call, now_of(context))
    reported: CallStatus | None = None
    while True:
        reported = _report(context, state, reported)
        pending = deque(actions)
        while pending:
            action = pending.popleft()
            if isinstance(action, flow.Schedule):
                inbox.schedule(action.timer, action.seconds)
            elif isinstance(action, flow.Cancel):
                inbox.cancel(action.timer)
            elif isinstance(action, flow.Run):
                result = yield from inbox.run(context.call_activity(action.activity, action.input))
                state, more = flow.step(state, flow.ActivityDone(action.activity, result), now_of(context))
                pending.extendleft(reversed(more))  # an activity's consequences come before what followed it
                reported = _report(context, state, reported)
            else:
                inbox.cancel_all()
                reported = _report(context, state, reported)
                return (yield context.call_activity_with_retry(act.FINALIZE_CALL, FINALIZE_RETRY, action.ending))
        happening = yield from inbox.next()
        state, actions = flow.step(state, happening, now_of(context))

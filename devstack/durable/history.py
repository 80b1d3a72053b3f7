"""History events in the JSON shape the Durable extension hands to out-of-process SDKs.

The extension serialises Durable Task Framework (DTFx) `HistoryEvent` objects with Newtonsoft, so
every event carries `EventType` (an integer), `EventId`, `IsPlayed` and `Timestamp`, plus PascalCase
fields of its kind. `azure-functions-durable` 1.7.0 reads them in `models/history/HistoryEvent.py`
and `TaskOrchestrationExecutor.py`; the contract tests pin these shapes against that SDK.

Only events that schedule work carry a real `EventId` (the orchestration's sequence number); every
other event has -1. Completions point back at the scheduled event through `TaskScheduledId` or
`TimerId`; external events match waiters by `Name`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from dateutil.parser import isoparse

Event = dict[str, Any]

# The SDK writes and parses timestamps in this shape (constants.DATETIME_STRING_FORMAT).
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class EventType(IntEnum):
    """DTFx `EventType` values (mirrors the SDK's `HistoryEventType`)."""

    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_INSTANCE_CREATED = 7
    SUB_ORCHESTRATION_INSTANCE_COMPLETED = 8
    SUB_ORCHESTRATION_INSTANCE_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    GENERIC_EVENT = 17
    HISTORY_STATE = 18
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


class OrchestrationStatus(IntEnum):
    """DTFx `OrchestrationStatus`, as carried by `ExecutionCompleted.OrchestrationStatus`."""

    RUNNING = 0
    COMPLETED = 1
    CONTINUED_AS_NEW = 2
    FAILED = 3
    CANCELED = 4
    TERMINATED = 5
    PENDING = 6
    SUSPENDED = 7


# Events that resume orchestrator code when the SDK processes them.
COMPLETION_TYPES = frozenset(
    {
        EventType.TASK_COMPLETED,
        EventType.TASK_FAILED,
        EventType.TIMER_FIRED,
        EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED,
        EventType.SUB_ORCHESTRATION_INSTANCE_FAILED,
        EventType.EVENT_RAISED,
    }
)


def format_time(when: datetime) -> str:
    """Render a UTC instant the way the SDK renders `fireAt` and DTFx renders `Timestamp`."""
    return when.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_time(text: str) -> datetime:
    """Parse an ISO-8601 instant (the SDK's or a client's) into an aware UTC datetime."""
    parsed: datetime = isoparse(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _event(kind: EventType, when: datetime, event_id: int = -1, **fields: Any) -> Event:
    base = {"EventType": int(kind), "EventId": event_id, "IsPlayed": False, "Timestamp": format_time(when)}
    return base | fields


def orchestrator_started(when: datetime) -> Event:
    """Open an episode; the SDK takes `current_utc_datetime` from its timestamp."""
    return _event(EventType.ORCHESTRATOR_STARTED, when)


def orchestrator_completed(when: datetime) -> Event:
    """Close an episode."""
    return _event(EventType.ORCHESTRATOR_COMPLETED, when)


def execution_started(
    when: datetime,
    *,
    name: str,
    instance_id: str,
    execution_id: str,
    input_json: str | None,
    parent: dict[str, Any] | None = None,
) -> Event:
    """The first event of every generation; `Input` is the JSON text the client sent."""
    return _event(
        EventType.EXECUTION_STARTED,
        when,
        Name=name,
        Version="",
        Input=input_json,
        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        ParentInstance=parent,
        Tags=None,
    )


def execution_completed(
    when: datetime, status: OrchestrationStatus, result: str | None, details: str | None = None
) -> Event:
    """Completed or failed: the last event of a generation."""
    fields: dict[str, Any] = {"OrchestrationStatus": int(status), "Result": result}
    if details is not None:
        fields["FailureDetails"] = {"ErrorMessage": result, "Details": details}
    return _event(EventType.EXECUTION_COMPLETED, when, **fields)


def execution_terminated(when: datetime, reason: str | None) -> Event:
    """Terminated by a client."""
    return _event(EventType.EXECUTION_TERMINATED, when, Input=reason)


def continue_as_new(when: datetime, new_input: str | None) -> Event:
    """The last event of a generation that restarts itself (DTFx `ContinueAsNewEvent`)."""
    return _event(
        EventType.CONTINUE_AS_NEW,
        when,
        OrchestrationStatus=int(OrchestrationStatus.CONTINUED_AS_NEW),
        Result=new_input,
    )


def execution_suspended(when: datetime, reason: str | None) -> Event:
    """Suspended by a client; the SDK ignores it, the engine holds new messages."""
    return _event(EventType.EXECUTION_SUSPENDED, when, Reason=reason)


def execution_resumed(when: datetime, reason: str | None) -> Event:
    """Resumed by a client."""
    return _event(EventType.EXECUTION_RESUMED, when, Reason=reason)


def task_scheduled(when: datetime, task_id: int, name: str, input_json: str | None) -> Event:
    """An activity call was scheduled with sequence number `task_id`."""
    return _event(EventType.TASK_SCHEDULED, when, task_id, Name=name, Version="", Input=input_json)


def task_completed(when: datetime, task_id: int, result_json: str | None) -> Event:
    """An activity returned; `Result` is the activity's JSON-serialised return value."""
    return _event(EventType.TASK_COMPLETED, when, TaskScheduledId=task_id, Result=result_json)


def task_failed(when: datetime, task_id: int, reason: str, details: str | None) -> Event:
    """An activity raised; the SDK turns `Reason` and `Details` into the exception message."""
    return _event(EventType.TASK_FAILED, when, TaskScheduledId=task_id, Reason=reason, Details=details)


def timer_created(when: datetime, timer_id: int, fire_at: datetime) -> Event:
    """A durable timer was scheduled with sequence number `timer_id`."""
    return _event(EventType.TIMER_CREATED, when, timer_id, FireAt=format_time(fire_at))


def timer_fired(when: datetime, timer_id: int, fire_at: datetime) -> Event:
    """A durable timer fired."""
    return _event(EventType.TIMER_FIRED, when, TimerId=timer_id, FireAt=format_time(fire_at))


def sub_orchestration_created(
    when: datetime, task_id: int, name: str, instance_id: str, input_json: str | None
) -> Event:
    """A sub-orchestration was started with sequence number `task_id`."""
    return _event(
        EventType.SUB_ORCHESTRATION_INSTANCE_CREATED,
        when,
        task_id,
        Name=name,
        Version="",
        InstanceId=instance_id,
        Input=input_json,
    )


def sub_orchestration_completed(when: datetime, task_id: int, result_json: str | None) -> Event:
    """A sub-orchestration completed; `Result` is its output as JSON text."""
    return _event(EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED, when, TaskScheduledId=task_id, Result=result_json)


def sub_orchestration_failed(when: datetime, task_id: int, reason: str, details: str | None) -> Event:
    """A sub-orchestration failed."""
    return _event(
        EventType.SUB_ORCHESTRATION_INSTANCE_FAILED,
        when,
        TaskScheduledId=task_id,
        Reason=reason,
        Details=details,
    )


def event_raised(when: datetime, name: str, input_json: str | None) -> Event:
    """An external event; `Input` is the JSON text of the event data."""
    return _event(EventType.EVENT_RAISED, when, Name=name, Input=input_json)

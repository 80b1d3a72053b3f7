"""An orchestration instance as the engine holds it in memory, and its status payload.

The engine keeps every non-terminal instance here (history, ledger, queued messages) so an episode
never reads SQLite; the store holds the durable copy. History is kept twice: as dicts (to inspect)
and as JSON text (to build the next replay context by joining strings instead of re-encoding).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from devstack.durable import history as h
from devstack.durable.replay import Ledger
from devstack.durable.store import Message


class RuntimeStatus(StrEnum):
    """`OrchestrationRuntimeStatus` as the HTTP API and the SDK spell it."""

    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    FAILED = "Failed"
    CANCELED = "Canceled"
    TERMINATED = "Terminated"
    SUSPENDED = "Suspended"


TERMINAL = frozenset({RuntimeStatus.COMPLETED, RuntimeStatus.FAILED, RuntimeStatus.TERMINATED, RuntimeStatus.CANCELED})


@dataclass(slots=True)
class Instance:
    """One orchestration instance (its current generation)."""

    instance_id: str
    name: str
    execution_id: str
    status: RuntimeStatus
    input_json: str | None  # ExecutionStarted.Input of this generation (JSON text)
    created_time: datetime
    last_updated_time: datetime
    parent: dict[str, Any] | None = None  # {"instance_id", "execution_id", "task_id"} of a sub-orchestration
    output_json: str | None = None
    custom_status_json: str | None = None
    failure_details: str | None = None
    ledger: Ledger = field(default_factory=Ledger)
    events: list[h.Event] = field(default_factory=list)
    event_json: list[str] = field(default_factory=list)
    inbox: deque[Message] = field(default_factory=deque)
    timers: dict[int, int] = field(default_factory=dict)  # timer sequence number -> store row id
    waiters: list[asyncio.Future[None]] = field(default_factory=list)

    @property
    def is_terminal(self) -> bool:
        """Completed, failed, terminated or canceled."""
        return self.status in TERMINAL

    def row(self) -> dict[str, Any]:
        """The store row for this instance."""
        return {
            "instance_id": self.instance_id,
            "name": self.name,
            "execution_id": self.execution_id,
            "status": self.status.value,
            "input": self.input_json,
            "output": self.output_json,
            "custom_status": self.custom_status_json,
            "created_time": h.format_time(self.created_time),
            "last_updated_time": h.format_time(self.last_updated_time),
            "parent": json.dumps(self.parent) if self.parent else None,
            "ledger": self.ledger.to_json(),
            "failure_details": self.failure_details,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any], history_json: list[str]) -> Instance:
        """Rebuild from a store row and the stored history."""
        return cls(
            instance_id=row["instance_id"],
            name=row["name"],
            execution_id=row["execution_id"],
            status=RuntimeStatus(row["status"]),
            input_json=row["input"],
            created_time=h.parse_time(row["created_time"]),
            last_updated_time=h.parse_time(row["last_updated_time"]),
            parent=json.loads(row["parent"]) if row["parent"] else None,
            output_json=row["output"],
            custom_status_json=row["custom_status"],
            failure_details=row["failure_details"],
            ledger=Ledger.from_json(row["ledger"]),
            events=[json.loads(text) for text in history_json],
            event_json=list(history_json),
        )


def status_payload(
    row: dict[str, Any],
    events: list[h.Event] | None = None,
    *,
    show_input: bool = True,
    show_history_output: bool = False,
) -> dict[str, Any]:
    """The extension's `StatusResponsePayload` for a stored instance row."""
    payload: dict[str, Any] = {
        "name": row["name"],
        "instanceId": row["instance_id"],
        "runtimeStatus": row["status"],
        "input": _loads(row["input"]) if show_input else None,
        "customStatus": _loads(row["custom_status"]),
        "output": _loads(row["output"]),
        # The extension renders these with .ToString("s") + "Z": whole seconds.
        "createdTime": h.parse_time(row["created_time"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lastUpdatedTime": h.parse_time(row["last_updated_time"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if events is not None:
        payload["historyEvents"] = condense_history(events, show_output=show_history_output, show_input=show_input)
    return payload


_SCHEDULING = {
    h.EventType.TASK_COMPLETED: h.EventType.TASK_SCHEDULED,
    h.EventType.TASK_FAILED: h.EventType.TASK_SCHEDULED,
    h.EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED: h.EventType.SUB_ORCHESTRATION_INSTANCE_CREATED,
    h.EventType.SUB_ORCHESTRATION_INSTANCE_FAILED: h.EventType.SUB_ORCHESTRATION_INSTANCE_CREATED,
}
_RESULT_EVENTS = {
    h.EventType.TASK_COMPLETED,
    h.EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED,
    h.EventType.EXECUTION_COMPLETED,
}


def condense_history(events: list[h.Event], *, show_output: bool, show_input: bool = True) -> list[dict[str, Any]]:
    """History as the status API shows it (the extension's `GetDurableOrchestrationStatusAsync`).

    A completion absorbs its scheduling event (`ScheduledTime`, `FunctionName`, the scheduled
    `Input`); a scheduling event with no completion yet stays, so running activities show as
    `TaskScheduled` and pending timers as `TimerCreated`. Episode markers, `EventId` and `IsPlayed`
    are dropped; `Result` only with showHistoryOutput; `Input` everywhere only with showInput.
    Timestamps carry 7 fractional digits, as .NET's 100 ns DateTime does.
    """
    out: list[dict[str, Any] | None] = []
    scheduled: dict[tuple[h.EventType, int], int] = {}  # (kind, EventId) -> index in `out`
    for event in events:
        kind = h.EventType(event["EventType"])
        if kind in (h.EventType.ORCHESTRATOR_STARTED, h.EventType.ORCHESTRATOR_COMPLETED):
            continue
        item: dict[str, Any] = {
            key: _net_time(value) if key in ("Timestamp", "FireAt") else value
            for key, value in event.items()
            if key not in ("EventId", "IsPlayed")
        }
        item["EventType"] = _pascal(kind)
        if kind in (h.EventType.TASK_SCHEDULED, h.EventType.SUB_ORCHESTRATION_INSTANCE_CREATED):
            scheduled[(kind, event["EventId"])] = len(out)
            item.pop("Version", None)
        elif kind in _SCHEDULING:
            source_index = scheduled.get((_SCHEDULING[kind], event.get("TaskScheduledId", -1)))
            source = out[source_index] if source_index is not None else None
            if source_index is not None and source is not None:
                item["ScheduledTime"] = source["Timestamp"]
                item["FunctionName"] = source.get("Name")
                item["Input"] = source.get("Input")
                out[source_index] = None
            item.pop("TaskScheduledId", None)
        elif kind == h.EventType.EXECUTION_STARTED:
            item["FunctionName"] = item.pop("Name", None)
            for key in ("OrchestrationInstance", "ParentInstance", "Version", "Tags"):
                item.pop(key, None)
        elif kind == h.EventType.EXECUTION_COMPLETED:
            item["OrchestrationStatus"] = _pascal(h.OrchestrationStatus(event["OrchestrationStatus"]))
        elif kind == h.EventType.TIMER_FIRED:
            item.pop("TimerId", None)
        if kind in _RESULT_EVENTS:
            if show_output:
                item["Result"] = _loads(item.get("Result"))
            else:
                item.pop("Result", None)
        if not show_input:
            item.pop("Input", None)
        out.append(item)
    return [item for item in out if item is not None]


def _net_time(value: Any) -> Any:
    """`...:SS.ffffffZ` (microseconds) as .NET prints a DateTime: `...:SS.fffffffZ` (ticks)."""
    if isinstance(value, str) and len(value) == 27 and value.endswith("Z") and value[19] == ".":
        return value[:-1] + "0Z"
    return value


def _pascal(value: h.EventType | h.OrchestrationStatus) -> str:
    return "".join(part.capitalize() for part in value.name.split("_"))


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text

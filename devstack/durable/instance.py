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
        payload["historyEvents"] = condense_history(events, show_output=show_history_output)
    return payload


def condense_history(events: list[h.Event], *, show_output: bool) -> list[dict[str, Any]]:
    """History as the status API shows it: scheduling folded into completions, names as strings."""
    scheduled: dict[int, h.Event] = {}
    out: list[dict[str, Any]] = []
    for event in events:
        kind = h.EventType(event["EventType"])
        if kind in (h.EventType.ORCHESTRATOR_STARTED, h.EventType.ORCHESTRATOR_COMPLETED):
            continue
        if kind in (
            h.EventType.TASK_SCHEDULED,
            h.EventType.TIMER_CREATED,
            h.EventType.SUB_ORCHESTRATION_INSTANCE_CREATED,
        ):
            scheduled[event["EventId"]] = event
            continue
        item: dict[str, Any] = {"EventType": _pascal(kind), "Timestamp": event["Timestamp"]}
        source = scheduled.get(event.get("TaskScheduledId", event.get("TimerId", -2)))
        if source is not None:
            item["ScheduledTime"] = source["Timestamp"]
            if source.get("Name"):
                item["FunctionName"] = source["Name"]
        for key in ("Name", "Reason", "Details", "FireAt", "TimerId", "OrchestrationStatus"):
            if key in event and event[key] is not None:
                item["FunctionName" if key == "Name" and kind == h.EventType.EXECUTION_STARTED else key] = event[key]
        if "OrchestrationStatus" in item:
            item["OrchestrationStatus"] = _pascal(h.OrchestrationStatus(item["OrchestrationStatus"]))
        if show_output and event.get("Result") is not None:
            item["Result"] = _loads(event["Result"])
        if kind in (h.EventType.EXECUTION_STARTED, h.EventType.EVENT_RAISED) and event.get("Input") is not None:
            item["Input"] = _loads(event["Input"])
        out.append(item)
    return out


def _pascal(value: h.EventType | h.OrchestrationStatus) -> str:
    return "".join(part.capitalize() for part in value.name.split("_"))


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text

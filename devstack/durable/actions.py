"""Parse what the SDK's orchestrator handler returns: `{isDone, actions, output, error, customStatus}`.

With replay schema V2 and later the SDK returns one flat list of every action the orchestrator has
scheduled since the generation began (`[[a1, a2, ...]]`), with `task_all`/`task_any` as compound
actions (`WhenAll` = 12, `WhenAny` = 11) holding their children. The extension replays the list in
order; so does this engine, after flattening compound actions depth-first, which is also the order in
which the SDK hands out sequence numbers (`DurableOrchestrationContext._add_to_open_tasks`).

When orchestrator code raises, the SDK raises too, with the state JSON appended to the message after
`$OutOfProcData$:`; `parse_failure` recovers it the way the extension does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any

from devstack.durable.history import parse_time

OUT_OF_PROC_DATA_LABEL = "\n\n$OutOfProcData$:"


class ActionType(IntEnum):
    """The SDK's `ActionType` values (models/actions/ActionType.py)."""

    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    WHEN_ANY = 11
    WHEN_ALL = 12


# Actions that take a sequence number (and so a history event with that EventId).
NUMBERED = frozenset(
    {
        ActionType.CALL_ACTIVITY,
        ActionType.CALL_ACTIVITY_WITH_RETRY,
        ActionType.CALL_SUB_ORCHESTRATOR,
        ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY,
        ActionType.CREATE_TIMER,
    }
)
# Actions this engine does not run (entities and durable HTTP need the extension's built-ins).
UNSUPPORTED = frozenset({ActionType.CALL_ENTITY, ActionType.SIGNAL_ENTITY, ActionType.CALL_HTTP})


class ProtocolError(ValueError):
    """The handler returned something that is not the SDK's orchestrator state JSON."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`retryOptions` of a -WithRetry action (the Python SDK exposes only these two knobs)."""

    first_interval_ms: int
    max_attempts: int


@dataclass(frozen=True, slots=True)
class Action:
    """One non-compound action, flattened out of the SDK's action list."""

    kind: ActionType
    name: str | None = None  # activity/orchestrator function name, or the external event name
    input_json: str | None = None  # already JSON text: the SDK `df_dumps` inputs itself
    fire_at: datetime | None = None
    is_canceled: bool = False
    instance_id: str | None = None
    retry: RetryPolicy | None = None

    @property
    def numbered(self) -> bool:
        """Whether this action consumes a sequence number."""
        return self.kind in NUMBERED


@dataclass(slots=True)
class OrchestratorResult:
    """One episode's outcome as reported by the SDK."""

    is_done: bool
    actions: list[Action] = field(default_factory=list)
    output: Any = None
    error: str | None = None
    custom_status: Any = None
    schema_version: int = 0


def parse_state(text: str) -> OrchestratorResult:
    """Parse the handler's return value (JSON text)."""
    try:
        state = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"orchestrator returned invalid JSON: {exc}") from exc
    if not isinstance(state, dict) or "isDone" not in state:
        raise ProtocolError("orchestrator returned JSON without 'isDone'")
    groups = state.get("actions") or []
    if not isinstance(groups, list):
        raise ProtocolError("'actions' must be a list")
    flat: list[Action] = []
    for group in groups:
        for item in group if isinstance(group, list) else [group]:
            _flatten(item, flat)
    return OrchestratorResult(
        is_done=bool(state["isDone"]),
        actions=flat,
        output=state.get("output"),
        error=state.get("error"),
        custom_status=state.get("customStatus"),
        schema_version=int(state.get("schemaVersion", 0)),
    )


def parse_failure(exc: BaseException) -> tuple[str, OrchestratorResult | None]:
    """Split an orchestrator exception into its message and the embedded state, if any."""
    message = str(exc)
    head, sep, tail = message.partition(OUT_OF_PROC_DATA_LABEL)
    if not sep:
        return message or type(exc).__name__, None
    try:
        state = parse_state(tail)
    except ProtocolError:
        return head, None
    return (state.error or head), state


def _flatten(item: Any, into: list[Action]) -> None:
    if not isinstance(item, dict) or "actionType" not in item:
        raise ProtocolError(f"malformed action: {item!r}")
    try:
        kind = ActionType(int(item["actionType"]))
    except ValueError as exc:
        raise ProtocolError(f"unknown actionType {item['actionType']!r}") from exc
    if kind in (ActionType.WHEN_ALL, ActionType.WHEN_ANY):
        for child in item.get("compoundActions") or []:
            _flatten(child, into)
        return
    into.append(_parse_action(kind, item))


def _parse_action(kind: ActionType, item: dict[str, Any]) -> Action:
    retry = None
    if (options := item.get("retryOptions")) is not None:
        retry = RetryPolicy(
            first_interval_ms=int(options["firstRetryIntervalInMilliseconds"]),
            max_attempts=int(options["maxNumberOfAttempts"]),
        )
    fire_at = parse_time(item["fireAt"]) if item.get("fireAt") else None
    name = item.get("externalEventName") if kind == ActionType.WAIT_FOR_EXTERNAL_EVENT else None
    raw_input = item.get("input")
    return Action(
        kind=kind,
        name=name or item.get("functionName") or item.get("operation"),
        input_json=raw_input if isinstance(raw_input, str) or raw_input is None else json.dumps(raw_input),
        fire_at=fire_at,
        is_canceled=bool(item.get("isCanceled", False)),
        instance_id=item.get("instanceId"),
        retry=retry,
    )

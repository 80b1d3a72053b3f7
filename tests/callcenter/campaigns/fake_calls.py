"""A stand-in for `call_lifecycle` that runs through the real engine on the virtual clock (fast tests).

The callee's behaviour comes from `BEHAVIOURS` by number and attempt: an outcome and how long the
call lasts (a durable timer). Every dial is logged by an activity with the child execution's own
deterministic uuid, so a test can tell one dial replayed from two dials of the same attempt.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

bp = df.Blueprint()

# number -> [(outcome, seconds)] per attempt (the last entry repeats); default: answered, 60 s.
BEHAVIOURS: dict[str, list[tuple[str, int]]] = {}
DIALS: list[dict[str, Any]] = []


def behaviour(number: str, attempt: int) -> tuple[str, int]:
    script = BEHAVIOURS.get(number) or [("completed", 60)]
    return script[min(attempt, len(script)) - 1]


@bp.orchestration_trigger(context_name="context")
def call_lifecycle(context: df.DurableOrchestrationContext) -> Any:
    call = context.get_input()
    attempt = int(call["call_id"].rsplit("-a", 1)[1])
    outcome, seconds = behaviour(call["to_number"], attempt)
    started = context.current_utc_datetime
    dial = {
        "call_id": call["call_id"],
        "execution": str(context.new_uuid()),
        "number": call["to_number"],
        "started": started.isoformat(),
        "outcome": outcome,
        "voicemail_policy": call.get("voicemail_policy"),
    }
    yield context.call_activity("fake_call_log", dial)
    if seconds:
        yield context.create_timer(started + timedelta(seconds=seconds))
    yield context.call_activity("fake_call_log", {**dial, "ended": context.current_utc_datetime.isoformat()})
    return {"call_id": call["call_id"], "outcome": outcome, "reason": "fake"}


@bp.activity_trigger(input_name="entry")
def fake_call_log(entry: dict[str, Any]) -> None:
    """Log a dial when the call starts, and its end time when it ends (running again changes nothing)."""
    key = (entry["call_id"], entry["execution"])
    found = next((d for d in DIALS if (d["call_id"], d["execution"]) == key), None)
    if found is None:
        found = {**entry, "started": datetime.fromisoformat(entry["started"]), "ended": None}
        DIALS.append(found)
    if entry.get("ended"):
        found["ended"] = datetime.fromisoformat(entry["ended"])

"""The `call_lifecycle` orchestration: one instance per call, id = call id.

ringing -> connected -> (transferring -> transferred | back to the agent) -> ended. Every outside
happening arrives as one external event, `call_event`, whose payload names its `kind` (an ACS
callback type such as `CallConnected`, a tool's `escalate`/`end_call`, or the bridge's
`media_ended`/`model_failed`). Waiting on one event name avoids the pitfall of stale waiters on
several names, and makes arrival order irrelevant: each state ignores kinds it does not expect.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from callcenter.orchestrations import call_activities as act
from callcenter.store.calls import CallStatus, Outcome

bp = df.Blueprint()

CALL_EVENT = "call_event"
GOODBYE_SECONDS = 4
HOLD_SECONDS = 3
TRANSFER_WAIT_SECONDS = 60
DISCONNECTED = {"CallDisconnected", "CreateCallFailed", "AnswerFailed"}


def _event(task: Any) -> dict[str, Any]:
    """An external event's payload: the SDK client sends it JSON-encoded twice, so it arrives as text
    (azure-functions-durable-python#295); anything unreadable counts as an unknown kind."""
    value = task.result
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {"kind": "unknown"}
    return value if isinstance(value, dict) and isinstance(value.get("kind"), str) else {"kind": "unknown"}


def _failure_outcome(event: dict[str, Any], direction: str) -> str:
    """Outcome of a call that ended before it connected, from ACS's resultInformation."""
    info = event.get("resultInformation") or {}
    sub_code = int(info.get("subCode") or 0)
    code = int(info.get("code") or 0)
    if code == 486 or sub_code in (10057,):  # 486 Busy Here
        return Outcome.BUSY
    if code in (408, 480, 487) or sub_code in (10004, 10083):  # no answer / not available
        return Outcome.NO_ANSWER
    if event["kind"] == "CallDisconnected" and direction == "inbound":
        return Outcome.ABANDONED
    return Outcome.FAILED if direction == "outbound" or code >= 400 else Outcome.ABANDONED


def _wait_for_connection(context: df.DurableOrchestrationContext, call: dict[str, Any]) -> Any:
    """Ringing: returns None once connected, or the (outcome, reason) the call ended with."""
    ring_deadline = context.current_utc_datetime + timedelta(seconds=call["no_answer_seconds"])
    ring_timer = context.create_timer(ring_deadline)
    while True:
        event_task = context.wait_for_external_event(CALL_EVENT)
        winner = yield context.task_any([event_task, ring_timer])
        if winner == ring_timer:
            yield context.call_activity(act.HANG_UP, call)
            return (Outcome.NO_ANSWER if call["direction"] == "outbound" else Outcome.ABANDONED, "not answered")
        event = _event(event_task)
        if event["kind"] == "CallConnected":
            ring_timer.cancel()
            return None
        if event["kind"] in DISCONNECTED:
            ring_timer.cancel()
            return (_failure_outcome(event, call["direction"]), event["kind"])


def _transfer(context: df.DurableOrchestrationContext, call: dict[str, Any], reason: str) -> Any:
    """Escalation: returns True when a human took the call; on failure the agent is told and goes on."""
    yield context.call_activity(act.SET_STATUS, {"call_id": call["call_id"], "status": CallStatus.TRANSFERRING})
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=HOLD_SECONDS))  # agent says hold
    started = yield context.call_activity(act.TRANSFER_CALL, {**call, "reason": reason})
    accepted = False
    if started.get("ok"):
        deadline = context.create_timer(context.current_utc_datetime + timedelta(seconds=TRANSFER_WAIT_SECONDS))
        while True:
            event_task = context.wait_for_external_event(CALL_EVENT)
            winner = yield context.task_any([event_task, deadline])
            if winner == deadline:
                break
            kind = _event(winner)["kind"]
            if kind in ("CallTransferAccepted", "CallTransferFailed", "CallDisconnected"):
                deadline.cancel()
                accepted = kind != "CallTransferFailed"
                break
    if not accepted:
        yield context.call_activity(act.SET_STATUS, {"call_id": call["call_id"], "status": CallStatus.CONNECTED})
        yield context.call_activity(
            act.POST_NOTICE,
            {
                "call_id": call["call_id"],
                "notice": {
                    "type": "transfer_failed",
                    "message": "The transfer to a human agent did not go through. Tell the caller, "
                    "and offer a callback or keep helping them yourself.",
                },
            },
        )
    return accepted


def _converse(context: df.DurableOrchestrationContext, call: dict[str, Any]) -> Any:
    """Connected: returns the (outcome, reason) the call ended with."""
    limit = context.create_timer(context.current_utc_datetime + timedelta(seconds=call["max_call_seconds"]))
    while True:
        event_task = context.wait_for_external_event(CALL_EVENT)
        winner = yield context.task_any([event_task, limit])
        if winner == limit:
            yield context.call_activity(act.HANG_UP, call)
            return (Outcome.COMPLETED, "max_duration")
        event = _event(event_task)
        kind = event["kind"]
        if kind == "CallDisconnected":
            limit.cancel()
            return (Outcome.COMPLETED, "caller_hung_up")
        if kind in ("escalate", "model_failed"):
            transferred = yield from _transfer(context, call, event.get("reason", kind))
            if transferred:
                limit.cancel()
                return (Outcome.TRANSFERRED, event.get("reason", kind))
            if kind == "model_failed":
                limit.cancel()
                yield context.call_activity(act.HANG_UP, call)
                return (Outcome.FAILED, "model_failed")
        elif kind in ("end_call", "voicemail"):
            limit.cancel()
            yield context.create_timer(context.current_utc_datetime + timedelta(seconds=GOODBYE_SECONDS))
            yield context.call_activity(act.HANG_UP, call)
            outcome = Outcome.VOICEMAIL if kind == "voicemail" else Outcome.COMPLETED
            return (outcome, event.get("reason", kind))
        elif kind == "media_ended" and event.get("reason") != "caller_hung_up":
            limit.cancel()
            yield context.call_activity(act.HANG_UP, call)
            return (Outcome.COMPLETED, event.get("reason", "media_ended"))


@bp.orchestration_trigger(context_name="context")
def call_lifecycle(context: df.DurableOrchestrationContext) -> Any:
    call: dict[str, Any] = context.get_input()
    context.set_custom_status({"state": CallStatus.RINGING})
    ended: Any = None
    if call["direction"] == "outbound":
        placed = yield context.call_activity(act.PLACE_CALL, call)
        if placed.get("ok"):
            call = {**call, "call_connection_id": placed["call_connection_id"]}
        else:
            ended = (Outcome.FAILED, placed.get("error", "create_call failed"))
    if ended is None:
        ended = yield from _wait_for_connection(context, call)
    if ended is None:
        context.set_custom_status({"state": CallStatus.CONNECTED})
        yield context.call_activity(
            act.SET_STATUS,
            {
                "call_id": call["call_id"],
                "status": CallStatus.CONNECTED,
                "answered_at": context.current_utc_datetime.isoformat(),
            },
        )
        ended = yield from _converse(context, call)
    outcome, reason = ended
    context.set_custom_status({"state": CallStatus.ENDED, "outcome": str(outcome)})
    record = yield context.call_activity(
        act.FINALIZE_CALL,
        {
            "call_id": call["call_id"],
            "outcome": str(outcome),
            "reason": reason,
            "ended_at": context.current_utc_datetime.isoformat(),
        },
    )
    return record

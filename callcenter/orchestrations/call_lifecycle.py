"""The `call_lifecycle` orchestration: one instance per call, id = call id.

ringing -> connected -> (transferring -> transferred | back to the agent) -> ended. Every outside
happening arrives as one external event, `call_event`, whose payload names its `kind` (an ACS
callback type such as `CallConnected`, a tool's `escalate`/`end_call`, or the bridge's
`media_ended`/`model_failed`). Each state ignores kinds it does not expect, so arrival order
cannot corrupt it.

One wait for `call_event` is always outstanding, even while an activity or timer runs (see
`CallInbox`): the Python SDK (1.7.0) keeps an event that arrives with nobody waiting in a
per-name "deferred" slot, keeps only the latest such event, and hands that same event to every
later wait on the name -- an orchestration that ignores it would loop on it forever.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from callcenter.calls import CALL_EVENT, CallStatus, Outcome
from callcenter.orchestrations import call_activities as act

bp = df.Blueprint()

GOODBYE_SECONDS = 4
HOLD_SECONDS = 3
TRANSFER_WAIT_SECONDS = 60
# After a connected call ends, how long the record waits for the bridge's final events (transcript
# tail, usage, media_ended), which it retries while the function app or storage is unreachable.
MEDIA_END_WAIT_SECONDS = 60
DISCONNECTED = {"CallDisconnected", "CreateCallFailed", "AnswerFailed"}
# The final record must survive a storage outage: retry every 5 s for about a minute (the Python
# SDK's RetryOptions has a fixed interval; activities are idempotent writes of the same record).
FINALIZE_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=12)


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


class CallInbox:
    """The call's events in arrival order, with one `call_event` wait always outstanding.

    `run(task)` awaits an activity or timer while still receiving events (queued for later);
    `next(timer)` returns the next event, or None when `timer` fires first.
    """

    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self._context = context
        self._queue: list[dict[str, Any]] = []
        self._wait = context.wait_for_external_event(CALL_EVENT)
        self.media_started = False  # ACS connected the call's audio to the bridge (MediaStreamingStarted)
        self.media_ended = False  # the bridge's last event batch (media_ended) has been stored

    def _receive(self) -> None:
        event = _event(self._wait)
        self.media_started = self.media_started or event["kind"] == "MediaStreamingStarted"
        self.media_ended = self.media_ended or event["kind"] == "media_ended"
        self._queue.append(event)
        self._wait = self._context.wait_for_external_event(CALL_EVENT)

    def run(self, task: Any) -> Any:
        """Await `task` (its result, or its exception raised) while queueing events."""
        while True:
            winner = yield self._context.task_any([task, self._wait])
            if winner is self._wait:
                self._receive()
                continue
            return (yield task)

    def next(self, timer: Any) -> Any:
        """The next event, or None when `timer` fires before one arrives."""
        if not self._queue:
            winner = yield self._context.task_any([self._wait, timer])
            if winner is not self._wait:
                return None
            self._receive()
        return self._queue.pop(0)


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


def _wait_for_connection(context: df.DurableOrchestrationContext, inbox: CallInbox, call: dict[str, Any]) -> Any:
    """Ringing: returns None once connected, or the (outcome, reason) the call ended with."""
    ring_deadline = context.current_utc_datetime + timedelta(seconds=call["no_answer_seconds"])
    ring_timer = context.create_timer(ring_deadline)
    while True:
        event = yield from inbox.next(ring_timer)
        if event is None:
            yield from inbox.run(context.call_activity(act.HANG_UP, call))
            return (Outcome.NO_ANSWER if call["direction"] == "outbound" else Outcome.ABANDONED, "not answered")
        if event["kind"] == "CallConnected":
            ring_timer.cancel()
            # Keep the connection id the event carries, so hanging up or transferring later does not
            # depend on Table Storage being reachable (an inbound call's input has none).
            if event.get("callConnectionId") and not call.get("call_connection_id"):
                call["call_connection_id"] = event["callConnectionId"]
            return None
        if event["kind"] in DISCONNECTED:
            ring_timer.cancel()
            return (_failure_outcome(event, call["direction"]), event["kind"])


def _transfer(context: df.DurableOrchestrationContext, inbox: CallInbox, call: dict[str, Any], reason: str) -> Any:
    """Escalation: returns True when a human took the call; on failure the agent is told and goes on."""
    status = {"call_id": call["call_id"], "status": CallStatus.TRANSFERRING}
    yield from inbox.run(context.call_activity(act.SET_STATUS, status))
    hold = context.create_timer(context.current_utc_datetime + timedelta(seconds=HOLD_SECONDS))  # agent says hold
    yield from inbox.run(hold)
    started = yield from inbox.run(context.call_activity(act.TRANSFER_CALL, {**call, "reason": reason}))
    accepted = False
    if started.get("ok"):
        deadline = context.create_timer(context.current_utc_datetime + timedelta(seconds=TRANSFER_WAIT_SECONDS))
        while True:
            event = yield from inbox.next(deadline)
            if event is None:
                break
            kind = event["kind"]
            if kind in ("CallTransferAccepted", "CallTransferFailed", "CallDisconnected"):
                deadline.cancel()
                accepted = kind != "CallTransferFailed"
                break
    if not accepted:
        connected = {"call_id": call["call_id"], "status": CallStatus.CONNECTED}
        yield from inbox.run(context.call_activity(act.SET_STATUS, connected))
        notice = context.call_activity(
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
        yield from inbox.run(notice)
    return accepted


def _converse(context: df.DurableOrchestrationContext, inbox: CallInbox, call: dict[str, Any]) -> Any:
    """Connected: returns the (outcome, reason) the call ended with."""
    limit = context.create_timer(context.current_utc_datetime + timedelta(seconds=call["max_call_seconds"]))
    # A campaign's "leave a message" policy: after voicemail_detected the agent speaks its message and
    # then uses end_call (or the machine hangs up); either way the outcome is voicemail.
    voicemail = False
    hang_up = act.HANG_UP
    while True:
        event = yield from inbox.next(limit)
        if event is None:
            yield from inbox.run(context.call_activity(hang_up, call))
            return (Outcome.COMPLETED, "max_duration")
        kind = event["kind"]
        if kind == "CallDisconnected":
            limit.cancel()
            return (Outcome.VOICEMAIL, "voicemail_hung_up") if voicemail else (Outcome.COMPLETED, "caller_hung_up")
        if kind in ("escalate", "model_failed"):
            transferred = yield from _transfer(context, inbox, call, event.get("reason", kind))
            if transferred:
                limit.cancel()
                return (Outcome.TRANSFERRED, event.get("reason", kind))
            if kind == "model_failed":
                limit.cancel()
                yield from inbox.run(context.call_activity(hang_up, call))
                return (Outcome.FAILED, "model_failed")
        elif kind == "voicemail" and call.get("voicemail_policy") == "leave_message" and not voicemail:
            voicemail = True
        elif kind in ("end_call", "voicemail"):
            limit.cancel()
            goodbye = context.create_timer(context.current_utc_datetime + timedelta(seconds=GOODBYE_SECONDS))
            yield from inbox.run(goodbye)
            yield from inbox.run(context.call_activity(hang_up, call))
            outcome = Outcome.VOICEMAIL if kind == "voicemail" or voicemail else Outcome.COMPLETED
            return (outcome, event.get("reason", kind))
        elif kind == "media_ended" and event.get("reason") != "caller_hung_up":
            limit.cancel()
            yield from inbox.run(context.call_activity(hang_up, call))
            return (Outcome.VOICEMAIL if voicemail else Outcome.COMPLETED, event.get("reason", "media_ended"))


def _await_media_end(context: df.DurableOrchestrationContext, inbox: CallInbox) -> Any:
    """Let the bridge's last events land before the record is totalled (bounded). A call whose audio
    never reached the bridge has no such events to wait for."""
    if inbox.media_ended or not inbox.media_started:
        return
    deadline = context.create_timer(context.current_utc_datetime + timedelta(seconds=MEDIA_END_WAIT_SECONDS))
    while not inbox.media_ended:
        if (yield from inbox.next(deadline)) is None:
            return
    deadline.cancel()


@bp.orchestration_trigger(context_name="context")
def call_lifecycle(context: df.DurableOrchestrationContext) -> Any:
    call: dict[str, Any] = context.get_input()
    context.set_custom_status({"state": CallStatus.RINGING})
    inbox = CallInbox(context)
    ended: Any = None
    if call["direction"] == "outbound":
        placed = yield from inbox.run(context.call_activity(act.PLACE_CALL, call))
        if placed.get("ok"):
            call = {
                **call,
                "call_connection_id": placed["call_connection_id"],
                "server_call_id": placed.get("server_call_id", ""),
            }
        else:
            ended = (Outcome.FAILED, placed.get("error", "create_call failed"))
    if ended is None:
        ended = yield from _wait_for_connection(context, inbox, call)
    if ended is None:
        context.set_custom_status({"state": CallStatus.CONNECTED})
        answered = {
            "call_id": call["call_id"],
            "status": CallStatus.CONNECTED,
            "answered_at": context.current_utc_datetime.isoformat(),
        }
        yield from inbox.run(context.call_activity(act.SET_STATUS, answered))
        if call.get("record_call"):
            yield from inbox.run(context.call_activity(act.START_RECORDING, call))
        ended = yield from _converse(context, inbox, call)
        yield from _await_media_end(context, inbox)
    outcome, reason = ended
    context.set_custom_status({"state": CallStatus.ENDED, "outcome": str(outcome)})
    record = yield context.call_activity_with_retry(
        act.FINALIZE_CALL,
        FINALIZE_RETRY,
        {
            "call_id": call["call_id"],
            "outcome": str(outcome),
            "reason": reason,
            "ended_at": context.current_utc_datetime.isoformat(),
        },
    )
    return record

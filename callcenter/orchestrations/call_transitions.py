"""The call lifecycle as a pure transition function: (state, happening) -> (state, actions).

`call_lifecycle` is a thin loop around it: it performs the actions (timers, activities, the final
record) and feeds back what happens (events, fired timers, activity results). Everything here is
plain data, so every transition is unit-tested without a host (tests/callcenter/orchestrations).

    placing -> ringing -> connected -> (holding -> transferring -> transfer_wait -> ended
                                                               \\-> back to connected)
                                   -> goodbye -> ended
    Any end of a connected call passes through `draining` while the bridge's last events land.

Each phase ignores kinds it does not expect, so a redelivered or late event cannot corrupt it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from callcenter.calls import (
    CallEnding,
    CallEvent,
    CallEventKind,
    CallInput,
    CallStatus,
    Direction,
    MediaEndReason,
    NoticeType,
    Outcome,
    VoicemailPolicy,
)
from callcenter.calls.kinds import FAILED_TO_CONNECT
from callcenter.orchestrations import call_activities as act

HOLD_SECONDS = 3  # the agent tells the caller to hold before the transfer starts
TRANSFER_WAIT_SECONDS = 60
GOODBYE_SECONDS = 4
# After a connected call ends, how long the record waits for the bridge's final events (transcript
# tail, usage, media_ended), which it retries while the function app or storage is unreachable.
MEDIA_END_WAIT_SECONDS = 60
TRANSFER_FAILED_MESSAGE = (
    "The transfer to a human agent did not go through. Tell the caller, "
    "and offer a callback or keep helping them yourself."
)


class Phase(enum.StrEnum):
    PLACING = "placing"  # outbound: create_call under way
    RINGING = "ringing"
    CONNECTED = "connected"
    HOLDING = "holding"  # escalation: the agent asks the caller to hold
    TRANSFERRING = "transferring"  # transfer_call under way
    TRANSFER_WAIT = "transfer_wait"  # ACS accepted the transfer request; waiting for its result
    GOODBYE = "goodbye"  # the agent says goodbye, then the call is hung up
    DRAINING = "draining"  # ended; waiting for the bridge's media_ended
    ENDED = "ended"


class Timer(enum.StrEnum):
    RING = "ring"
    MAX_DURATION = "max_duration"
    HOLD = "hold"
    TRANSFER_WAIT = "transfer_wait"
    GOODBYE = "goodbye"
    MEDIA_END = "media_end"


# --- what happens (inputs) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """A `call_event` arrived."""

    event: CallEvent


@dataclass(frozen=True)
class TimerFired:
    timer: Timer


@dataclass(frozen=True)
class ActivityDone:
    """An activity the transition asked for returned `result`."""

    activity: str
    result: Any


Happening = Received | TimerFired | ActivityDone

# --- what to do (outputs) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    timer: Timer
    seconds: int


@dataclass(frozen=True)
class Cancel:
    """Cancel a timer (nothing happens when it is not running)."""

    timer: Timer


@dataclass(frozen=True)
class Run:
    """Run an activity; its result comes back as `ActivityDone` before any queued event."""

    activity: str
    input: Any


@dataclass(frozen=True)
class Finish:
    """Write the final record and complete the orchestration."""

    ending: CallEnding


Action = Schedule | Cancel | Run | Finish

# --- state ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ending:
    outcome: Outcome
    reason: str
    ended_at: str = ""  # empty until known (a goodbye ends when the hang-up happens)


@dataclass(frozen=True)
class CallState:
    call: CallInput
    phase: Phase
    started_at: str  # orchestration time when the lifecycle began; no event of this call is older
    answered_at: str = ""
    media_started: bool = False  # ACS connected the call's audio to the bridge
    media_ended: str = ""  # the reason of the bridge's media_ended, once its last batch is stored
    voicemail: bool = False  # leave_message policy: a machine answered and the agent leaves a message
    escalation: CallEvent | None = None  # the escalate / model_failed being handled
    limit_reached: bool = False  # the maximum duration passed while a transfer was under way
    ending: Ending | None = None

    @property
    def status(self) -> CallStatus:
        """The status the orchestration reports (custom status)."""
        return _STATUS[self.phase]


_STATUS = {
    Phase.PLACING: CallStatus.RINGING,
    Phase.RINGING: CallStatus.RINGING,
    Phase.CONNECTED: CallStatus.CONNECTED,
    Phase.GOODBYE: CallStatus.CONNECTED,
    Phase.HOLDING: CallStatus.TRANSFERRING,
    Phase.TRANSFERRING: CallStatus.TRANSFERRING,
    Phase.TRANSFER_WAIT: CallStatus.TRANSFERRING,
    Phase.DRAINING: CallStatus.ENDED,
    Phase.ENDED: CallStatus.ENDED,
}
Step = tuple[CallState, list[Action]]


def start(call: CallInput, now: datetime) -> Step:
    """The first state and actions: place an outbound call, or let an inbound one ring."""
    state = CallState(call=call, phase=Phase.RINGING, started_at=_iso(now))
    if call["direction"] == Direction.OUTBOUND:
        return replace(state, phase=Phase.PLACING), [Run(act.PLACE_CALL, call)]
    return state, [Schedule(Timer.RING, call["no_answer_seconds"])]


def step(state: CallState, happening: Happening, now: datetime) -> Step:
    """The next state and the actions to take, given what happened at orchestration time `now`."""
    if isinstance(happening, Received):
        state = _note_media(state, happening.event)
    return _PHASES[state.phase](state, happening, _aware(now))


# --- phases ---------------------------------------------------------------------------------------


def _placing(state: CallState, happening: Happening, now: datetime) -> Step:
    if not (isinstance(happening, ActivityDone) and happening.activity == act.PLACE_CALL):
        return state, []  # the orchestrator delivers the result before any event queued meanwhile
    result = happening.result or {}
    if not result.get("ok"):
        return _end(state, Outcome.FAILED, str(result.get("error") or "create_call failed"), _iso(now))
    call: CallInput = {
        **state.call,
        "call_connection_id": str(result.get("call_connection_id") or ""),
        "server_call_id": str(result.get("server_call_id") or ""),
    }
    return replace(state, call=call, phase=Phase.RINGING), [Schedule(Timer.RING, call["no_answer_seconds"])]


def _ringing(state: CallState, happening: Happening, now: datetime) -> Step:
    if isinstance(happening, TimerFired) and happening.timer is Timer.RING:
        unanswered = Outcome.NO_ANSWER if state.call["direction"] == Direction.OUTBOUND else Outcome.ABANDONED
        return _end(state, unanswered, "not answered", _iso(now), [Run(act.HANG_UP, state.call)])
    if not isinstance(happening, Received):
        return state, []
    event = happening.event
    if event["kind"] is CallEventKind.CALL_CONNECTED:
        call = state.call
        # Keep the connection id the event carries, so hanging up or transferring later does not
        # depend on Table Storage being reachable (an inbound call's input has none).
        if event.get("callConnectionId") and not call["call_connection_id"]:
            call = {**call, "call_connection_id": str(event.get("callConnectionId"))}
        answered_at = _event_time(event, state.started_at, now)
        actions: list[Action] = [
            Cancel(Timer.RING),
            Run(
                act.SET_STATUS, {"call_id": call["call_id"], "status": CallStatus.CONNECTED, "answered_at": answered_at}
            ),
        ]
        if call["record_call"]:
            actions.append(Run(act.START_RECORDING, call))
        actions.append(Schedule(Timer.MAX_DURATION, call["max_call_seconds"]))
        return replace(state, call=call, phase=Phase.CONNECTED, answered_at=answered_at), actions
    if event["kind"] in FAILED_TO_CONNECT:
        outcome = failure_outcome(event, state.call["direction"])
        return _end(
            state, outcome, event["kind"].value, _event_time(event, state.started_at, now), [Cancel(Timer.RING)]
        )
    return state, []


def _connected(state: CallState, happening: Happening, now: datetime) -> Step:
    call = state.call
    if isinstance(happening, TimerFired) and happening.timer is Timer.MAX_DURATION:
        return _end(state, Outcome.COMPLETED, "max_duration", _iso(now), [Run(act.HANG_UP, call)])
    if not isinstance(happening, Received):
        return state, []
    event = happening.event
    kind = event["kind"]
    at = _event_time(event, state.answered_at, now)
    if kind is CallEventKind.CALL_DISCONNECTED:
        if state.voicemail:
            return _end(state, Outcome.VOICEMAIL, "voicemail_hung_up", at, [Cancel(Timer.MAX_DURATION)])
        return _end(state, Outcome.COMPLETED, "caller_hung_up", at, [Cancel(Timer.MAX_DURATION)])
    if kind in (CallEventKind.ESCALATE, CallEventKind.MODEL_FAILED):
        transferring = {"call_id": call["call_id"], "status": CallStatus.TRANSFERRING}
        return replace(state, phase=Phase.HOLDING, escalation=event), [
            Run(act.SET_STATUS, transferring),
            Schedule(Timer.HOLD, HOLD_SECONDS),
        ]
    leave_message = call.get("voicemail_policy") == VoicemailPolicy.LEAVE_MESSAGE
    if kind is CallEventKind.VOICEMAIL and leave_message and not state.voicemail:
        # The agent now speaks the campaign's message, then uses end_call (or the machine hangs up).
        return replace(state, voicemail=True), []
    if kind in (CallEventKind.END_CALL, CallEventKind.VOICEMAIL):
        outcome = Outcome.VOICEMAIL if kind is CallEventKind.VOICEMAIL or state.voicemail else Outcome.COMPLETED
        ending = Ending(outcome, event.get("reason") or kind.value)
        return replace(state, phase=Phase.GOODBYE, ending=ending), [
            Cancel(Timer.MAX_DURATION),
            Schedule(Timer.GOODBYE, GOODBYE_SECONDS),
        ]
    if kind is CallEventKind.MEDIA_ENDED and event.get("reason") != MediaEndReason.CALLER_HUNG_UP:
        # The bridge lost the call's audio or model: nobody is talking to the caller any more.
        outcome = Outcome.VOICEMAIL if state.voicemail else Outcome.COMPLETED
        actions: list[Action] = [Cancel(Timer.MAX_DURATION), Run(act.HANG_UP, call)]
        return _end(state, outcome, event.get("reason") or kind.value, at, actions)
    return state, []


def _holding(state: CallState, happening: Happening, now: datetime) -> Step:
    call = state.call
    if isinstance(happening, TimerFired) and happening.timer is Timer.HOLD:
        reason = _escalation_reason(state)
        return replace(state, phase=Phase.TRANSFERRING), [Run(act.TRANSFER_CALL, {**call, "reason": reason})]
    if isinstance(happening, TimerFired) and happening.timer is Timer.MAX_DURATION:
        return _end(state, Outcome.COMPLETED, "max_duration", _iso(now), [Cancel(Timer.HOLD), Run(act.HANG_UP, call)])
    if isinstance(happening, Received) and happening.event["kind"] is CallEventKind.CALL_DISCONNECTED:
        at = _event_time(happening.event, state.answered_at, now)
        cancels: list[Action] = [Cancel(Timer.HOLD), Cancel(Timer.MAX_DURATION)]
        return _end(state, Outcome.COMPLETED, "caller_hung_up", at, cancels)
    return state, []


def _transferring(state: CallState, happening: Happening, now: datetime) -> Step:
    if not (isinstance(happening, ActivityDone) and happening.activity == act.TRANSFER_CALL):
        return state, []  # the orchestrator delivers the result before any event queued meanwhile
    if (happening.result or {}).get("ok"):
        return replace(state, phase=Phase.TRANSFER_WAIT), [Schedule(Timer.TRANSFER_WAIT, TRANSFER_WAIT_SECONDS)]
    return _transfer_failed(state, now)


def _transfer_wait(state: CallState, happening: Happening, now: datetime) -> Step:
    if isinstance(happening, TimerFired):
        if happening.timer is Timer.MAX_DURATION:
            return replace(state, limit_reached=True), []  # let the transfer finish first
        if happening.timer is Timer.TRANSFER_WAIT:
            return _transfer_failed(state, now)
        return state, []
    if not isinstance(happening, Received):
        return state, []
    kind = happening.event["kind"]
    if kind in (CallEventKind.CALL_TRANSFER_ACCEPTED, CallEventKind.CALL_DISCONNECTED):
        # ACS drops our leg once the human has the caller: a disconnect here is the transfer's success.
        at = _event_time(happening.event, state.answered_at, now)
        cancels: list[Action] = [Cancel(Timer.TRANSFER_WAIT), Cancel(Timer.MAX_DURATION)]
        return _end(state, Outcome.TRANSFERRED, _escalation_reason(state), at, cancels)
    if kind is CallEventKind.CALL_TRANSFER_FAILED:
        failed, actions = _transfer_failed(state, now)
        return failed, [Cancel(Timer.TRANSFER_WAIT), *actions]
    return state, []


def _goodbye(state: CallState, happening: Happening, now: datetime) -> Step:
    ending = state.ending or Ending(Outcome.COMPLETED, CallEventKind.END_CALL.value)
    if isinstance(happening, TimerFired) and happening.timer is Timer.GOODBYE:
        return _end(state, ending.outcome, ending.reason, _iso(now), [Run(act.HANG_UP, state.call)])
    if isinstance(happening, Received) and happening.event["kind"] is CallEventKind.CALL_DISCONNECTED:
        at = _event_time(happening.event, state.answered_at, now)
        return _end(state, ending.outcome, ending.reason, at, [Cancel(Timer.GOODBYE)])
    return state, []


def _draining(state: CallState, happening: Happening, now: datetime) -> Step:
    media_over = isinstance(happening, Received) and happening.event["kind"] is CallEventKind.MEDIA_ENDED
    waited = isinstance(happening, TimerFired) and happening.timer is Timer.MEDIA_END
    if not (media_over or waited) or state.ending is None:
        return state, []
    return replace(state, phase=Phase.ENDED), [Cancel(Timer.MEDIA_END), Finish(_ending(state, state.ending))]


def _ended(state: CallState, happening: Happening, now: datetime) -> Step:
    return state, []


_PHASES = {
    Phase.PLACING: _placing,
    Phase.RINGING: _ringing,
    Phase.CONNECTED: _connected,
    Phase.HOLDING: _holding,
    Phase.TRANSFERRING: _transferring,
    Phase.TRANSFER_WAIT: _transfer_wait,
    Phase.GOODBYE: _goodbye,
    Phase.DRAINING: _draining,
    Phase.ENDED: _ended,
}

# --- helpers --------------------------------------------------------------------------------------


def _transfer_failed(state: CallState, now: datetime) -> Step:
    """The transfer did not go through: the agent is told and goes on, unless nobody can talk."""
    call = state.call
    actions: list[Action] = [
        Run(act.SET_STATUS, {"call_id": call["call_id"], "status": CallStatus.CONNECTED}),
        Run(
            act.POST_NOTICE,
            {
                "call_id": call["call_id"],
                "notice": {"type": NoticeType.TRANSFER_FAILED, "message": TRANSFER_FAILED_MESSAGE},
            },
        ),
    ]
    escalation = state.escalation
    if escalation is not None and escalation["kind"] is CallEventKind.MODEL_FAILED:
        actions += [Cancel(Timer.MAX_DURATION), Run(act.HANG_UP, call)]
        return _end(state, Outcome.FAILED, CallEventKind.MODEL_FAILED.value, _iso(now), actions)
    if state.limit_reached:
        return _end(state, Outcome.COMPLETED, "max_duration", _iso(now), [*actions, Run(act.HANG_UP, call)])
    if state.media_ended and state.media_ended != MediaEndReason.CALLER_HUNG_UP:
        actions += [Cancel(Timer.MAX_DURATION), Run(act.HANG_UP, call)]
        return _end(state, Outcome.COMPLETED, state.media_ended, _iso(now), actions)
    return replace(state, phase=Phase.CONNECTED, escalation=None), actions


def _end(state: CallState, outcome: Outcome, reason: str, ended_at: str, actions: list[Action] | None = None) -> Step:
    """End the call: at once, or after the bridge's last events when its audio reached the bridge."""
    actions = list(actions or [])
    ending = Ending(outcome, reason, ended_at)
    if state.answered_at and state.media_started and not state.media_ended:
        actions.append(Schedule(Timer.MEDIA_END, MEDIA_END_WAIT_SECONDS))
        return replace(state, phase=Phase.DRAINING, ending=ending), actions
    actions.append(Finish(_ending(state, ending)))
    return replace(state, phase=Phase.ENDED, ending=ending), actions


def _ending(state: CallState, ending: Ending) -> CallEnding:
    return {
        "call_id": state.call["call_id"],
        "outcome": ending.outcome,
        "reason": ending.reason,
        "ended_at": ending.ended_at,
    }


def _note_media(state: CallState, event: CallEvent) -> CallState:
    if event["kind"] is CallEventKind.MEDIA_STREAMING_STARTED and not state.media_started:
        return replace(state, media_started=True)
    if event["kind"] is CallEventKind.MEDIA_ENDED and not state.media_ended:
        return replace(state, media_ended=event.get("reason") or CallEventKind.MEDIA_ENDED.value)
    return state


def _escalation_reason(state: CallState) -> str:
    escalation = state.escalation
    if escalation is None:
        return CallEventKind.ESCALATE.value
    return escalation.get("reason") or escalation["kind"].value


def failure_outcome(event: CallEvent, direction: Direction) -> Outcome:
    """Outcome of a call that ended before it connected, from ACS's resultInformation."""
    info = event.get("resultInformation") or {}
    sub_code = _int(info.get("subCode"))
    code = _int(info.get("code"))
    if code == 486 or sub_code == 10057:  # 486 Busy Here
        return Outcome.BUSY
    if code in (408, 480, 487) or sub_code in (10004, 10083):  # no answer / not available
        return Outcome.NO_ANSWER
    if event["kind"] is CallEventKind.CALL_DISCONNECTED and direction == Direction.INBOUND:
        return Outcome.ABANDONED
    return Outcome.FAILED if direction == Direction.OUTBOUND or code >= 400 else Outcome.ABANDONED


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _event_time(event: CallEvent, floor: str, now: datetime) -> str:
    """When the event happened: its own `time` when that lies between `floor` (the call's previous
    milestone) and `now` (it cannot have happened after it arrived); otherwise the orchestration's
    time. The window keeps one timeline per record: a source whose clock disagrees with the
    orchestration's (skew, or a test's virtual clock) falls back rather than mixing clocks."""
    raw = event.get("time")
    if not isinstance(raw, str):
        return _iso(now)
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return _iso(now)
    at, now = _aware(at), _aware(now)
    if floor and at < _aware(datetime.fromisoformat(floor)):
        return _iso(now)
    return _iso(at) if at <= now else _iso(now)


def _aware(moment: datetime) -> datetime:
    """Orchestration time may come without a zone; it is always UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return _aware(moment).astimezone(UTC).isoformat()

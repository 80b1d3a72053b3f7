"""Typed payloads of the call contract: orchestration input, activity inputs and results, the
external event, and the bodies of the internal API between the function app and the bridge.

They are TypedDicts, not classes, because every one of them crosses a JSON boundary (the Durable
history, an HTTP body) and must read back the same from either side.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from callcenter.calls.kinds import BridgeEventType, CallEventKind, CallStatus, Direction, NoticeType, Outcome


class CallInput(TypedDict):
    """The input of `call_lifecycle` (and of the activities that act on the whole call)."""

    call_id: str
    direction: Direction
    agent: str
    to_number: str
    call_connection_id: str
    server_call_id: str
    record_call: bool
    no_answer_seconds: int
    max_call_seconds: int
    voicemail_policy: NotRequired[str]  # campaign calls only (VoicemailPolicy)


class TransferInput(CallInput):
    """`transfer_call`: the call plus why it is escalated."""

    reason: str


class CallEvent(TypedDict):
    """The payload of the `call_event` external event.

    `time` is when the event happened at its source (the ACS CloudEvent `time`, the bridge event's
    `ts`, the moment a tool ran), so a record's answered and ended times do not depend on how long
    the event waited in a queue. ACS fields keep their wire names.
    """

    kind: CallEventKind
    time: NotRequired[str]
    reason: NotRequired[str]
    summary: NotRequired[str]
    callConnectionId: NotRequired[str]
    serverCallId: NotRequired[str]
    correlationId: NotRequired[str]
    operationContext: NotRequired[str]
    resultInformation: NotRequired[dict[str, Any]]


class ActivityResult(TypedDict):
    """What `hang_up`, `transfer_call` and `start_recording` return."""

    ok: bool
    error: NotRequired[str]
    already_ended: NotRequired[bool]
    recording_location: NotRequired[str]


class PlaceResult(ActivityResult):
    """What `place_call` returns: ACS's ids for the new call when `ok`."""

    call_connection_id: NotRequired[str]
    server_call_id: NotRequired[str]


class StatusChange(TypedDict):
    """`set_call_status`: a status change, with the answer time when the call connected."""

    call_id: str
    status: CallStatus
    answered_at: NotRequired[str]


class Notice(TypedDict):
    """A message for the call's model, handed to the bridge with the next events response."""

    type: NoticeType
    message: str


class NoticeInput(TypedDict):
    """`post_call_notice`."""

    call_id: str
    notice: Notice


class CallEnding(TypedDict):
    """`finalize_call`: how and when the call ended."""

    call_id: str
    outcome: Outcome
    reason: str
    ended_at: str


# --- internal API (docs/internal-api.md) ------------------------------------------------------


class AgentConfigBody(TypedDict):
    """GET /api/internal/calls/{id}/agent."""

    call_id: str
    agent: str
    session: dict[str, Any]
    greeting: str
    max_call_seconds: int


class FunctionCallRequest(TypedDict):
    """POST /api/function-call and /api/internal/calls/{id}/function-call."""

    name: str
    call_id: NotRequired[str]
    arguments: NotRequired[dict[str, Any] | str | None]
    agent: NotRequired[str]


class FunctionCallBody(TypedDict):
    """The response to a tool call; `agent` and `session` only on a handoff."""

    call_id: str | None
    output: str
    ok: bool
    control: NotRequired[str]
    agent: NotRequired[str]
    session: NotRequired[dict[str, Any]]


class BridgeEvent(TypedDict):
    """One event of the bridge's batches; the other fields depend on `type` (docs/internal-api.md)."""

    type: BridgeEventType
    ts: NotRequired[str]
    seq: NotRequired[int]
    reason: NotRequired[str]


class EventsRequest(TypedDict):
    events: list[BridgeEvent]


class EventsResponse(TypedDict):
    stored: int
    notices: list[Notice]

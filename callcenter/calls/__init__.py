"""The call contract: every name and payload that crosses between a call's producers and consumers.

ACS callbacks, the bridge's events, call-control tools, the `call_lifecycle` orchestration, its
activities, the call record and campaigns all import their names from here, so adding an event
kind or an outcome is one edit that the type checker then follows everywhere. This package imports
nothing else from `callcenter/`; the bridge (which must not import it) mirrors the names documented
in docs/internal-api.md, and tests/callcenter/calls/test_contract.py checks that all three agree.
"""

from callcenter.calls.kinds import (
    ACS_EVENT_PREFIX,
    CALL_EVENT,
    BridgeEventType,
    CallEventKind,
    CallStatus,
    Direction,
    MediaEndReason,
    NoticeType,
    Outcome,
    VoicemailPolicy,
)
from callcenter.calls.payloads import (
    ActivityResult,
    AgentConfigBody,
    BridgeEvent,
    CallEnding,
    CallEvent,
    CallInput,
    EventsRequest,
    EventsResponse,
    FunctionCallBody,
    FunctionCallRequest,
    Notice,
    NoticeInput,
    PlaceResult,
    StatusChange,
    TransferInput,
)

__all__ = [
    "ACS_EVENT_PREFIX",
    "CALL_EVENT",
    "ActivityResult",
    "AgentConfigBody",
    "BridgeEvent",
    "BridgeEventType",
    "CallEnding",
    "CallEvent",
    "CallEventKind",
    "CallInput",
    "CallStatus",
    "Direction",
    "EventsRequest",
    "EventsResponse",
    "FunctionCallBody",
    "FunctionCallRequest",
    "MediaEndReason",
    "Notice",
    "NoticeInput",
    "NoticeType",
    "Outcome",
    "PlaceResult",
    "StatusChange",
    "TransferInput",
    "VoicemailPolicy",
]

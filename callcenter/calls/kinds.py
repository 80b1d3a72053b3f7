"""The closed sets of the call contract: event kinds, statuses, outcomes, reasons, notices."""

from __future__ import annotations

import enum

# The one external event name of `call_lifecycle`: every happening is raised under it, its payload
# naming the kind (see `CallEvent`). One name keeps one wait outstanding (see call_lifecycle.CallInbox).
CALL_EVENT = "call_event"
ACS_EVENT_PREFIX = "Microsoft.Communication."


class CallEventKind(enum.StrEnum):
    """Everything that can happen to a call, as raised on its orchestration.

    Three producers: ACS callbacks (the CloudEvent `type` without `Microsoft.Communication.`),
    the bridge (`media_ended`, `model_failed`, from its event batches) and the call-control tools.
    """

    # ACS Call Automation mid-call events
    CALL_CONNECTED = "CallConnected"
    CALL_DISCONNECTED = "CallDisconnected"
    CREATE_CALL_FAILED = "CreateCallFailed"
    ANSWER_FAILED = "AnswerFailed"
    CALL_TRANSFER_ACCEPTED = "CallTransferAccepted"
    CALL_TRANSFER_FAILED = "CallTransferFailed"
    PARTICIPANTS_UPDATED = "ParticipantsUpdated"
    PLAY_STARTED = "PlayStarted"
    PLAY_COMPLETED = "PlayCompleted"
    PLAY_FAILED = "PlayFailed"
    PLAY_CANCELED = "PlayCanceled"
    RECOGNIZE_COMPLETED = "RecognizeCompleted"
    RECOGNIZE_FAILED = "RecognizeFailed"
    MEDIA_STREAMING_STARTED = "MediaStreamingStarted"
    MEDIA_STREAMING_STOPPED = "MediaStreamingStopped"
    MEDIA_STREAMING_FAILED = "MediaStreamingFailed"
    RECORDING_STATE_CHANGED = "RecordingStateChanged"
    # the bridge (events endpoint)
    MEDIA_ENDED = "media_ended"
    MODEL_FAILED = "model_failed"
    # call-control tools
    ESCALATE = "escalate"
    END_CALL = "end_call"
    VOICEMAIL = "voicemail"

    @classmethod
    def from_acs_type(cls, cloud_event_type: str) -> CallEventKind | None:
        """The kind of an ACS CloudEvent `type`, or None for one the call lifecycle does not know."""
        if not cloud_event_type.startswith(ACS_EVENT_PREFIX):
            return None
        try:
            kind = cls(cloud_event_type.removeprefix(ACS_EVENT_PREFIX))
        except ValueError:
            return None
        return kind if kind in ACS_KINDS else None


ACS_KINDS = frozenset(k for k in CallEventKind if k.value[0].isupper())
BRIDGE_CONTROL_KINDS = frozenset({CallEventKind.MEDIA_ENDED, CallEventKind.MODEL_FAILED})
TOOL_CONTROL_KINDS = frozenset({CallEventKind.ESCALATE, CallEventKind.END_CALL, CallEventKind.VOICEMAIL})
# Kinds that end a call that never connected.
FAILED_TO_CONNECT = frozenset(
    {CallEventKind.CALL_DISCONNECTED, CallEventKind.CREATE_CALL_FAILED, CallEventKind.ANSWER_FAILED}
)


class BridgeEventType(enum.StrEnum):
    """The `type` of each event the bridge posts to /api/internal/calls/{id}/events (docs/internal-api.md)."""

    TRANSCRIPT = "transcript"
    TOOL_CALL = "tool_call"
    BARGE_IN = "barge_in"
    USAGE = "usage"
    DTMF = "dtmf"
    AGENT_CHANGED = "agent_changed"
    MEDIA_ENDED = "media_ended"
    MODEL_FAILED = "model_failed"


class MediaEndReason(enum.StrEnum):
    """The `reason` of the bridge's `media_ended` event."""

    CALLER_HUNG_UP = "caller_hung_up"
    MODEL_CLOSED = "model_closed"
    MAX_DURATION = "max_duration"
    IDLE = "idle"
    DRAIN = "drain"
    PROTOCOL_ERROR = "protocol_error"
    BRIDGE_ERROR = "bridge_error"


class NoticeType(enum.StrEnum):
    """The `type` of a notice the events endpoint hands back to the bridge for the model."""

    TRANSFER_FAILED = "transfer_failed"
    COACH = "coach"  # guidance for the agent: no reply is asked for
    SUPERVISOR_TRANSFER = "supervisor_transfer"
    SUPERVISOR_END = "supervisor_end"


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallStatus(enum.StrEnum):
    RINGING = "ringing"
    CONNECTED = "connected"
    TRANSFERRING = "transferring"
    ENDED = "ended"


class Outcome(enum.StrEnum):
    """How a call ended: the record's `outcome`, and the campaign bucket of an attempt."""

    COMPLETED = "completed"
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    VOICEMAIL = "voicemail"

    @classmethod
    def parse(cls, value: str) -> Outcome | None:
        """An outcome from storage; records written before the names were unified say `no-answer`."""
        try:
            return cls(value.replace("-", "_"))
        except ValueError:
            return None


class VoicemailPolicy(enum.StrEnum):
    """What a campaign call does when an answering machine picks up."""

    HANG_UP = "hang_up"
    LEAVE_MESSAGE = "leave_message"

"""What the simulator tells the app, in ACS's wire shapes: callback CloudEvents, the Event Grid
`IncomingCall` event, identifiers and `resultInformation` values. Pure builders, no I/O.

Shapes follow the ACS docs and the SDKs' event parsers: callbacks are a JSON array of CloudEvents 1.0
with `source`/`subject` `calling/callConnections/{id}` and `data` carrying `callConnectionId`,
`serverCallId`, `correlationId`, `operationContext` and `resultInformation {code, subCode, message}`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

EVENT_PREFIX = "Microsoft.Communication."


class CallEventType(StrEnum):
    """Mid-call events this simulator sends (the `type` after the `Microsoft.Communication.` prefix)."""

    CALL_CONNECTED = "CallConnected"
    CALL_DISCONNECTED = "CallDisconnected"
    CREATE_CALL_FAILED = "CreateCallFailed"
    ANSWER_FAILED = "AnswerFailed"
    CALL_TRANSFER_ACCEPTED = "CallTransferAccepted"
    CALL_TRANSFER_FAILED = "CallTransferFailed"
    PLAY_STARTED = "PlayStarted"
    PLAY_COMPLETED = "PlayCompleted"
    PLAY_FAILED = "PlayFailed"
    PLAY_CANCELED = "PlayCanceled"
    MEDIA_STREAMING_STARTED = "MediaStreamingStarted"
    MEDIA_STREAMING_STOPPED = "MediaStreamingStopped"
    MEDIA_STREAMING_FAILED = "MediaStreamingFailed"
    RECORDING_STATE_CHANGED = "RecordingStateChanged"


@dataclass(frozen=True)
class ResultInfo:
    """`resultInformation`: SIP-like code, ACS subcode and message (from the ACS troubleshooting codes)."""

    code: int
    sub_code: int
    message: str

    def wire(self) -> dict[str, Any]:
        return {"code": self.code, "subCode": self.sub_code, "message": self.message}


SUCCESS = ResultInfo(200, 0, "Action completed successfully.")
CONNECTED = ResultInfo(200, 0, "Call connected.")
ENDED_BY_APP = ResultInfo(
    200, 7000, "Call was ended by Azure Communication Services Call Automation API or a server bot."
)
ENDED_BY_REMOTE = ResultInfo(200, 560000, "Call ended successfully by remote PSTN participant.")
# Unanswered PSTN calls, as ACS's troubleshooting codes list them (code = ParticipantEndReason, subcode
# 560xxx = the outbound PSTN leg's SIP response): 480 no answer, 486 busy, 603 declined.
NO_ANSWER = ResultInfo(480, 560480, "No answer from the called user.")
BUSY = ResultInfo(486, 560486, "The called number was busy.")
DECLINED = ResultInfo(603, 560603, "Call declined by the recipient.")
# The same outcomes for an ACS user (8:acs:...) target, with the Call Automation generic subcodes.
USER_NO_ANSWER = ResultInfo(480, 8541, "Callee unavailable.")
USER_BUSY = ResultInfo(486, 8539, "Callee busy.")
USER_DECLINED = ResultInfo(603, 8538, "Callee declined.")


def unanswered(outcome: str, address: str) -> ResultInfo:
    """The result a call (or transfer) to `address` fails with: `outcome` is no_answer, busy or decline."""
    pstn = {"busy": BUSY, "decline": DECLINED}.get(outcome, NO_ANSWER)
    user = {"busy": USER_BUSY, "decline": USER_DECLINED}.get(outcome, USER_NO_ANSWER)
    return user if address.startswith("8:") else pstn


NOT_ANSWERED_IN_TIME = ResultInfo(400, 8587, "Incoming call not answered within time.")
TRANSFER_OK = ResultInfo(200, 7015, "The transfer operation completed successfully.")
TRANSFERRED_AWAY = ResultInfo(200, 7015, "The call was transferred and this leg left the call.")
PLAY_DOWNLOAD_FAILED = ResultInfo(400, 8536, "Action failed, file could not be downloaded.")
PLAY_BAD_FORMAT = ResultInfo(400, 8535, "Action failed, file format is invalid.")
PLAY_CANCELED = ResultInfo(400, 8508, "Action failed, the operation was canceled.")
STREAMING_STARTED = ResultInfo(200, 0, "Action completed successfully.")
STREAMING_FAILED = ResultInfo(500, 8603, "Action failed, not able to establish websocket connection.")
STREAMING_STOPPED = ResultInfo(200, 0, "Action completed successfully.")


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def phone_identifier(number: str) -> dict[str, Any]:
    """A `CommunicationIdentifierModel` for a PSTN number (rawId `4:+1...`)."""
    return {"kind": "phoneNumber", "rawId": f"4:{number}", "phoneNumber": {"value": number}}


def identifier_raw_id(model: dict[str, Any]) -> str:
    """The raw id of a `CommunicationIdentifierModel` as the SDK sends it (`4:+1...`, `8:acs:...`)."""
    raw = model.get("rawId")
    if isinstance(raw, str) and raw:
        return raw
    phone = model.get("phoneNumber")
    if isinstance(phone, dict) and isinstance(phone.get("value"), str):
        return f"4:{phone['value']}"
    user = model.get("communicationUser")
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        return str(user["id"])
    return ""


def identifier_address(model: dict[str, Any]) -> str:
    """The phone number (`+1...`) or user id a participant is reached at; keys behaviours."""
    phone = model.get("phoneNumber")
    if isinstance(phone, dict) and isinstance(phone.get("value"), str):
        return str(phone["value"])
    raw = identifier_raw_id(model)
    return raw[2:] if raw.startswith("4:") else raw


@dataclass(frozen=True)
class CallIds:
    """The three ids every callback event carries."""

    call_connection_id: str
    server_call_id: str
    correlation_id: str


def callback_event(
    kind: CallEventType,
    ids: CallIds,
    *,
    operation_context: str | None = None,
    result: ResultInfo | None = None,
    extra: dict[str, Any] | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One CloudEvent for a call's callback URL (ACS posts them as a JSON array)."""
    source = f"calling/callConnections/{ids.call_connection_id}"
    data: dict[str, Any] = {
        "callConnectionId": ids.call_connection_id,
        "serverCallId": ids.server_call_id,
        "correlationId": ids.correlation_id,
    }
    if operation_context is not None:
        data["operationContext"] = operation_context
    if result is not None:
        data["resultInformation"] = result.wire()
    data.update(extra or {})
    return {
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": EVENT_PREFIX + kind.value,
        "data": data,
        "time": utc_now_iso(),
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "subject": source,
    }


def media_streaming_update(status: str, details: str) -> dict[str, Any]:
    """The `mediaStreamingUpdate` object of MediaStreamingStarted/Stopped/Failed."""
    return {
        "mediaStreamingUpdate": {
            "contentType": "Audio",
            "mediaStreamingStatus": status,
            "mediaStreamingStatusDetails": details,
        }
    }


def incoming_call_event(
    *,
    topic: str,
    caller: str,
    callee: str,
    server_call_id: str,
    correlation_id: str,
    incoming_call_context: str,
    caller_display_name: str = "",
    event_id: str | None = None,
) -> dict[str, Any]:
    """One `Microsoft.Communication.IncomingCall` event in the Event Grid schema (sent as an array)."""
    from_model = phone_identifier(caller)
    to_model = phone_identifier(callee)
    return {
        "id": event_id or str(uuid.uuid4()),
        "topic": topic,
        "subject": f"/caller/{from_model['rawId']}/recipient/{to_model['rawId']}",
        "data": {
            "to": to_model,
            "from": from_model,
            "serverCallId": server_call_id,
            "callerDisplayName": caller_display_name,
            "incomingCallContext": incoming_call_context,
            "correlationId": correlation_id,
        },
        "eventType": EVENT_PREFIX + "IncomingCall",
        "dataVersion": "1.0",
        "metadataVersion": "1",
        "eventTime": utc_now_iso(),
    }


def recording_file_event(
    *,
    topic: str,
    server_call_id: str,
    recording_id: str,
    content_location: str,
    started_at: str,
    duration_ms: int,
) -> dict[str, Any]:
    """One `Microsoft.Communication.RecordingFileStatusUpdated` (Event Grid schema), sent after the call.

    Shape from the Event Grid docs for ACS voice events: one chunk per file in
    `recordingStorageInfo.recordingChunks`, each with its content, metadata and delete locations.
    """
    document_id = f"0-local-{recording_id}"
    return {
        "id": str(uuid.uuid4()),
        "topic": topic,
        "subject": f"/recording/call/{server_call_id}/recordingId/{recording_id}",
        "data": {
            "recordingStorageInfo": {
                "recordingChunks": [
                    {
                        "documentId": document_id,
                        "index": 0,
                        "endReason": "SessionEnded",
                        "contentLocation": content_location,
                        "metadataLocation": content_location.removesuffix("/content") + "/metadata",
                        "deleteLocation": content_location.removesuffix("/content"),
                    }
                ]
            },
            "recordingStartTime": started_at,
            "recordingDurationMs": duration_ms,
            "recordingContentType": "Audio",
            "recordingChannelType": "Mixed",
            "recordingFormatType": "Wav",
            "sessionEndReason": "CallEnded",
        },
        "eventType": EVENT_PREFIX + "RecordingFileStatusUpdated",
        "dataVersion": "1.0",
        "metadataVersion": "1",
        "eventTime": utc_now_iso(),
    }

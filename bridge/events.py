"""The typed events that flow through the bridge.

Both wires (ACS media JSON, Realtime GA JSON) are converted into these by the codecs in
`acs_protocol.py` and `realtime_protocol.py`; the relay dispatches on the class, never on a string
tag. A new media provider means one new codec producing the same caller-side events.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

# --- caller side (from the media provider) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaStarted:
    """The provider announced the audio format (ACS `AudioMetadata`)."""

    sample_rate: int
    frame_bytes: int
    subscription_id: str = ""


@dataclass(frozen=True, slots=True)
class CallerAudio:
    """One frame of caller audio, still base64 so the 24 kHz path can forward it untouched."""

    audio_b64: str
    silent: bool = False


@dataclass(frozen=True, slots=True)
class CallerDtmf:
    """A key the caller pressed."""

    digit: str


# --- model side (from the Realtime API) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionReady:
    """`session.created` / `session.updated`: the model accepted a configuration."""

    updated: bool


@dataclass(frozen=True, slots=True)
class ResponseStarted:
    """`response.created`: the model began a response (no `response.create` may overlap it)."""

    response_id: str


@dataclass(frozen=True, slots=True)
class AgentAudio:
    """A chunk of agent speech (24 kHz PCM16) belonging to one output item.

    Kept as the model's base64 (checked, not decoded): on the 24 kHz path it is cut into ACS frames
    as text, so downlink audio is never decoded and re-encoded.
    """

    item_id: str
    audio_b64: str
    content_index: int = 0

    @property
    def pcm(self) -> bytes:
        """The decoded PCM (for tests and the resampling path)."""
        return base64.b64decode(self.audio_b64)


@dataclass(frozen=True, slots=True)
class AgentAudioDone:
    """The model finished generating audio for an item (`response.output_audio.done`)."""

    item_id: str


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Server VAD heard the caller start talking: the barge-in trigger."""

    audio_start_ms: int
    item_id: str = ""


@dataclass(frozen=True, slots=True)
class SpeechStopped:
    """Server VAD heard the caller stop talking."""

    audio_end_ms: int


@dataclass(frozen=True, slots=True)
class CallerTranscript:
    """The transcription of one caller turn."""

    item_id: str
    text: str


@dataclass(frozen=True, slots=True)
class CallerTranscriptFailed:
    """The caller's turn could not be transcribed (`...input_audio_transcription.failed`)."""

    item_id: str


@dataclass(frozen=True, slots=True)
class AgentTranscript:
    """The transcript of one agent turn."""

    item_id: str
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallRequested:
    """The model wants a function called (`response.function_call_arguments.done`)."""

    tool_call_id: str
    name: str
    arguments: str
    item_id: str = ""


@dataclass(frozen=True, slots=True)
class ResponseDone:
    """`response.done`, with the token usage the call record bills."""

    response_id: str
    status: str
    usage: dict[str, Any] | None = None
    reason: str = ""  # status_details.reason of a cancelled response: client_cancelled, turn_detected


@dataclass(frozen=True, slots=True)
class ModelError:
    """An `error` event from the model; the session usually goes on."""

    code: str
    message: str
    error_type: str = ""


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call is over; `reason` is one of the contract's `media_ended` reasons."""

    reason: str
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


CallerEvent = MediaStarted | CallerAudio | CallerDtmf
ModelEvent = (
    SessionReady
    | ResponseStarted
    | AgentAudio
    | AgentAudioDone
    | SpeechStarted
    | SpeechStopped
    | CallerTranscript
    | CallerTranscriptFailed
    | AgentTranscript
    | ToolCallRequested
    | ResponseDone
    | ModelError
)

"""Azure AI Voice Live's dialect of the Realtime protocol, spoken on `/voice-live/realtime`.

Voice Live runs the same conversation as the Realtime API but keeps the preview's flat session
(`voice`, `turn_detection`, `input_audio_format` at the top level) and the preview's names for the
audio events (`response.audio.delta`), and adds its own session fields: Azure voices, Azure
semantic turn detection, noise suppression, echo cancellation, Azure speech transcription. The
field names, kinds and enumerations below are those of the `azure-ai-voicelive` SDK's models
(`RequestSession`, `TurnDetection` kinds, `AzureVoice` kinds, `AudioNoiseReduction`,
`AudioEchoCancellation`, `AudioInputTranscriptionOptions`); tests/devstack/realtime checks them
against the installed SDK. Validation is strict: a field the service does not know, a GA-shaped
session (`type`, `audio`) or an unknown kind is an `invalid_request_error`, as on the service.

The simulator keeps one GA session inside (`Conversation`); `VoiceLiveDialect` translates the
client's flat session into it and renames what goes out.
"""

from __future__ import annotations

import json
from typing import Any

from devstack.realtime import protocol
from devstack.realtime.protocol import ClientEventError

# api-version values the simulator accepts on the URL: the GA versions of the Voice Live docs.
API_VERSIONS = frozenset({"2025-10-01", "2026-04-10"})

SESSION_FIELDS = frozenset(
    {
        "model",
        "modalities",
        "animation",
        "voice",
        "instructions",
        "input_audio_sampling_rate",
        "input_audio_format",
        "output_audio_format",
        "turn_detection",
        "input_audio_noise_reduction",
        "input_audio_echo_cancellation",
        "avatar",
        "input_audio_transcription",
        "output_audio_timestamp_types",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "temperature",
        "max_response_output_tokens",
        "reasoning_effort",
        "interim_response",
        "include",
        "metadata",
    }
)
_VAD_COMMON = frozenset(
    {
        "type",
        "threshold",
        "prefix_padding_ms",
        "silence_duration_ms",
        "end_of_utterance_detection",
        "auto_truncate",
        "create_response",
        "interrupt_response",
    }
)
_SEMANTIC_EN = _VAD_COMMON | {"speech_duration_ms", "remove_filler_words"}  # English only: no `languages`
_SEMANTIC = _SEMANTIC_EN | {"languages"}
TURN_DETECTION_FIELDS: dict[str, frozenset[str]] = {
    "server_vad": _VAD_COMMON,
    "azure_semantic_vad": _SEMANTIC,
    "azure_semantic_vad_en": _SEMANTIC_EN,
    "azure_semantic_vad_multilingual": _SEMANTIC,
}
OPENAI_VOICES = frozenset({"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"})
AZURE_VOICE_KINDS = frozenset({"azure-standard", "azure-custom", "azure-personal"})
NOISE_REDUCTION_KINDS = frozenset({"azure_deep_noise_suppression", "near_field", "far_field"})
ECHO_CANCELLATION_KINDS = frozenset({"server_echo_cancellation"})
TRANSCRIPTION_MODELS = frozenset(
    {
        "whisper-1",
        "gpt-4o-transcribe",
        "gpt-4o-mini-transcribe",
        "gpt-4o-transcribe-diarize",
        "mai-transcribe-1",
        "azure-speech",
    }
)
AUDIO_FORMATS = frozenset({"pcm16", "g711_ulaw", "g711_alaw"})
SAMPLING_RATES = frozenset({16000, 24000})

# GA server event name -> Voice Live's (preview) name; the rest are named alike.
SERVER_EVENT_NAMES = {
    "response.output_audio.delta": "response.audio.delta",
    "response.output_audio.done": "response.audio.done",
    "response.output_audio_transcript.delta": "response.audio_transcript.delta",
    "response.output_audio_transcript.done": "response.audio_transcript.done",
    "response.output_text.delta": "response.text.delta",
    "response.output_text.done": "response.text.done",
    "conversation.item.added": "conversation.item.created",
}
# GA events Voice Live does not send (the SDK's ServerEventType has no such type).
DROPPED_SERVER_EVENTS = frozenset({"conversation.item.done"})


def _bad(message: str, param: str, code: str = "invalid_value") -> ClientEventError:
    return ClientEventError(code, message, param)


def _object(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"Invalid type for '{param}': expected an object.", param, "invalid_type")
    return value


def _only(value: dict[str, Any], allowed: frozenset[str], param: str) -> None:
    for key in value:
        if key not in allowed:
            raise _bad(f"Unknown parameter: '{param}.{key}'.", f"{param}.{key}", "unknown_parameter")


def _kind(value: dict[str, Any], kinds: frozenset[str] | dict[str, Any], param: str) -> str:
    kind = value.get("type")
    if kind not in kinds:
        raise _bad(
            f"Invalid value for '{param}.type': {kind!r}. Supported: {', '.join(sorted(kinds))}.", f"{param}.type"
        )
    return str(kind)


def _voice(value: Any) -> None:
    if isinstance(value, str):
        if value not in OPENAI_VOICES:
            raise _bad(f"Invalid value for 'session.voice': {value!r}.", "session.voice")
        return
    voice = _object(value, "session.voice")
    kind = voice.get("type")
    if kind == "openai":
        _only(voice, frozenset({"type", "name"}), "session.voice")
        if voice.get("name") not in OPENAI_VOICES:
            raise _bad("Invalid value for 'session.voice.name'.", "session.voice.name")
        return
    _kind(voice, AZURE_VOICE_KINDS | {"openai"}, "session.voice")
    name = voice.get("name")
    if not isinstance(name, str) or "-" not in name:
        raise _bad("'session.voice.name' must be an Azure voice name such as en-US-AvaNeural.", "session.voice.name")
    if kind == "azure-custom" and not isinstance(voice.get("endpoint_id"), str):
        raise _bad("Missing required parameter: 'session.voice.endpoint_id'.", "session.voice.endpoint_id")


def _turn_detection(value: Any) -> None:
    if value is None:
        return
    detection = _object(value, "session.turn_detection")
    kind = _kind(detection, TURN_DETECTION_FIELDS, "session.turn_detection")
    _only(detection, TURN_DETECTION_FIELDS[kind], "session.turn_detection")
    threshold = detection.get("threshold", 0.5)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not 0.0 <= threshold <= 1.0:
        raise _bad("'session.turn_detection.threshold' must be between 0 and 1.", "session.turn_detection.threshold")


def _transcription(value: Any) -> None:
    if value is None:
        return
    options = _object(value, "session.input_audio_transcription")
    _only(
        options, frozenset({"model", "language", "custom_speech", "phrase_list"}), "session.input_audio_transcription"
    )
    if options.get("model") not in TRANSCRIPTION_MODELS:
        raise _bad(
            "Invalid value for 'session.input_audio_transcription.model'.", "session.input_audio_transcription.model"
        )


def validate_session(session: dict[str, Any]) -> None:
    """Refuse what Voice Live refuses in a `session.update`'s session.

    Raises:
        ClientEventError: an unknown field (including the GA `type`/`audio` shape) or a bad value.
    """
    for key in session:
        if key not in SESSION_FIELDS:
            raise _bad(f"Unknown parameter: 'session.{key}'.", f"session.{key}", "unknown_parameter")
    if "voice" in session:
        _voice(session["voice"])
    _turn_detection(session.get("turn_detection"))
    _transcription(session.get("input_audio_transcription"))
    for key, kinds in (
        ("input_audio_noise_reduction", NOISE_REDUCTION_KINDS),
        ("input_audio_echo_cancellation", ECHO_CANCELLATION_KINDS),
    ):
        if session.get(key) is not None:
            _kind(_object(session[key], f"session.{key}"), kinds, f"session.{key}")
    for key in ("input_audio_format", "output_audio_format"):
        if key in session and session[key] not in AUDIO_FORMATS:
            raise _bad(f"Invalid value for 'session.{key}'.", f"session.{key}")
    rate = session.get("input_audio_sampling_rate", 24000)
    if rate not in SAMPLING_RATES:
        raise _bad("'session.input_audio_sampling_rate' must be 16000 or 24000.", "session.input_audio_sampling_rate")
    tools = session.get("tools", [])
    if not isinstance(tools, list) or any(
        not isinstance(t, dict) or t.get("type") != "function" or not isinstance(t.get("name"), str) for t in tools
    ):
        raise _bad("Invalid 'session.tools'.", "session.tools")


def _voice_name(value: Any) -> str:
    return str(value if isinstance(value, str) else value.get("name"))


class VoiceLiveDialect:
    """Translates one Voice Live session to and from the simulator's GA conversation."""

    def __init__(self, model: str) -> None:
        self.flat: dict[str, Any] = {
            "model": model,
            "modalities": ["text", "audio"],
            "instructions": "",
            "voice": {"type": "openai", "name": "alloy"},
            "input_audio_format": "pcm16",
            "output_audio_format": "pcm16",
            "input_audio_sampling_rate": 24000,
            "turn_detection": {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 500},
            "input_audio_noise_reduction": None,
            "input_audio_echo_cancellation": None,
            "input_audio_transcription": None,
            "tools": [],
            "tool_choice": "auto",
        }

    def parse_client_event(self, text: str | bytes) -> dict[str, Any]:
        """Validate one client event the Voice Live way; a `session.update` comes back in GA form.

        Raises:
            ClientEventError: not JSON, unknown type, or a shape Voice Live refuses.
        """
        try:
            event = json.loads(text)
        except (ValueError, RecursionError):
            raise ClientEventError("invalid_json", "The server could not parse the event as JSON.") from None
        if isinstance(event, dict) and event.get("type") == "session.update":
            session = _object(event.get("session"), "session")
            validate_session(session)
            self.flat.update(session)
            event = {**event, "session": self._ga(session)}
        return protocol.parse_client_event(json.dumps(event))

    @staticmethod
    def _ga(session: dict[str, Any]) -> dict[str, Any]:
        ga: dict[str, Any] = {"type": "realtime"}
        for key in ("instructions", "tools", "tool_choice"):
            if key in session:
                ga[key] = session[key]
        audio_in: dict[str, Any] = {}
        if "turn_detection" in session:
            detection = session["turn_detection"]
            # The simulator's energy VAD stands in for every kind; only its two knobs carry over.
            audio_in["turn_detection"] = (
                None
                if detection is None
                else {
                    "type": "server_vad",
                    "threshold": float(detection.get("threshold", 0.5)),
                    "silence_duration_ms": int(detection.get("silence_duration_ms", 500)),
                    "create_response": bool(detection.get("create_response", True)),
                    "interrupt_response": bool(detection.get("interrupt_response", True)),
                }
            )
        if "input_audio_transcription" in session:
            audio_in["transcription"] = {"model": "whisper-1"} if session["input_audio_transcription"] else None
        audio: dict[str, Any] = {}
        if audio_in:
            audio["input"] = audio_in
        if "voice" in session:
            audio["output"] = {"voice": _voice_name(session["voice"])}
        if audio:
            ga["audio"] = audio
        return ga

    def server_event(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """Rename GA events to Voice Live's names; session events carry the flat session; None: not sent."""
        kind = event.get("type")
        if kind in DROPPED_SERVER_EVENTS:
            return None
        if kind in ("session.created", "session.updated"):
            return {**event, "session": {"id": event["session"].get("id"), "object": "realtime.session", **self.flat}}
        renamed = SERVER_EVENT_NAMES.get(str(kind))
        return {**event, "type": renamed} if renamed else event

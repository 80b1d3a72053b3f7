"""Sans-I/O codec for the Azure OpenAI / OpenAI Realtime API, GA protocol, over WebSocket.

Server events the bridge acts on are parsed into typed events (`bridge.events`); everything else
returns `None`. Client events are built by small functions returning the JSON text to send.
Event names follow the GA reference (`response.output_audio.delta`, not the preview
`response.audio.delta`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson  # parses what the compact audio path does not slice

from bridge.b64 import is_base64
from bridge.events import (
    AgentAudio,
    AgentAudioDone,
    AgentTranscript,
    CallerTranscript,
    CallerTranscriptFailed,
    ModelError,
    ModelEvent,
    ResponseDone,
    ResponseStarted,
    SessionReady,
    SpeechStarted,
    SpeechStopped,
    ToolCallRequested,
)

AUDIO_DELTA = "response.output_audio.delta"
# Deltas may carry seconds of audio; the model socket's own limit (16 MiB) bounds them anyway.
MAX_DELTA_CHARS = 16 * 1024 * 1024


class RealtimeProtocolError(ValueError):
    """A server event is not JSON or misses a field the bridge relies on."""


def _str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise RealtimeProtocolError(f"{body.get('type')}: '{key}' must be a string")
    return value


def _int(body: dict[str, Any], key: str) -> int:
    value = body.get(key, 0)
    if not isinstance(value, int):
        raise RealtimeProtocolError(f"{body.get('type')}: '{key}' must be an integer")
    return value


def _audio_delta(body: dict[str, Any]) -> AgentAudio:
    delta = _str(body, "delta")
    if not is_base64(delta, MAX_DELTA_CHARS):
        raise RealtimeProtocolError("response.output_audio.delta: 'delta' is not base64")
    return AgentAudio(item_id=_str(body, "item_id"), audio_b64=delta, content_index=_int(body, "content_index"))


def _compact_audio_delta(text: str) -> AgentAudio | None:
    """The hot path: an audio delta whose `delta` is its last member, parsed without scanning the audio.

    If the text ends with `,"delta":"<base64>"}`, that string is a member of the outermost object
    (the closing brace is the last character; base64 has no quote or backslash, so the text with the
    audio removed has the same structure). That stub is parsed as JSON (duplicate keys resolve to
    the last one, as the full parse would). Anything else returns None and takes the general parser,
    so this accepts nothing the general one would refuse.
    """
    if not text.endswith('"}'):
        return None
    key = text.rfind('"delta":"')
    if key < 1 or text[key - 1] not in ",{":  # a key, not an escaped quote inside a string
        return None
    start = key + len('"delta":"')
    audio = text[start:-2]
    if not is_base64(audio, MAX_DELTA_CHARS):
        return None
    try:
        body = orjson.loads(text[:start] + '"}')
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or body.get("type") != AUDIO_DELTA:
        return None
    return AgentAudio(item_id=_str(body, "item_id"), audio_b64=audio, content_index=_int(body, "content_index"))


def _response_done(body: dict[str, Any]) -> ResponseDone:
    response = body.get("response")
    if not isinstance(response, dict):
        raise RealtimeProtocolError("response.done without a response object")
    usage = response.get("usage")
    details = response.get("status_details")
    reason = details.get("reason") if isinstance(details, dict) else None
    return ResponseDone(
        response_id=str(response.get("id", "")),
        status=str(response.get("status", "")),
        usage=usage if isinstance(usage, dict) else None,
        reason=reason if isinstance(reason, str) else "",
    )


def _response_created(body: dict[str, Any]) -> ResponseStarted:
    response = body.get("response")
    return ResponseStarted(response_id=str(response.get("id", "")) if isinstance(response, dict) else "")


def _error(body: dict[str, Any]) -> ModelError:
    error = body.get("error")
    error = error if isinstance(error, dict) else {}
    return ModelError(
        code=str(error.get("code") or ""),
        message=str(error.get("message") or ""),
        error_type=str(error.get("type") or ""),
    )


# The type -> parser table: the server events the bridge acts on.
_PARSERS: dict[str, Callable[[dict[str, Any]], ModelEvent]] = {
    "session.created": lambda b: SessionReady(updated=False),
    "session.updated": lambda b: SessionReady(updated=True),
    "response.created": _response_created,
    AUDIO_DELTA: _audio_delta,
    "response.output_audio.done": lambda b: AgentAudioDone(item_id=_str(b, "item_id")),
    "input_audio_buffer.speech_started": lambda b: SpeechStarted(
        audio_start_ms=_int(b, "audio_start_ms"), item_id=str(b.get("item_id", ""))
    ),
    "input_audio_buffer.speech_stopped": lambda b: SpeechStopped(audio_end_ms=_int(b, "audio_end_ms")),
    "conversation.item.input_audio_transcription.completed": lambda b: CallerTranscript(
        item_id=_str(b, "item_id"), text=_str(b, "transcript")
    ),
    "conversation.item.input_audio_transcription.failed": lambda b: CallerTranscriptFailed(item_id=_str(b, "item_id")),
    "response.output_audio_transcript.done": lambda b: AgentTranscript(
        item_id=_str(b, "item_id"), text=_str(b, "transcript")
    ),
    "response.function_call_arguments.done": lambda b: ToolCallRequested(
        tool_call_id=_str(b, "call_id"),
        name=_str(b, "name"),
        arguments=_str(b, "arguments"),
        item_id=str(b.get("item_id", "")),
    ),
    "response.done": _response_done,
    "error": _error,
}


def parse_server_event(text: str | bytes) -> ModelEvent | None:
    """Turn one server event into a bridge event; `None` for events the bridge does not use.

    Raises:
        RealtimeProtocolError: not a JSON object with a `type`, or a used event with a bad shape.
    """
    if isinstance(text, str):
        audio = _compact_audio_delta(text)
        if audio is not None:
            return audio
    try:
        body = orjson.loads(text)
    except (ValueError, RecursionError):
        raise RealtimeProtocolError("server event is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise RealtimeProtocolError("server event has no 'type'")
    parser = _PARSERS.get(body["type"])
    return parser(body) if parser else None


# --- client events ---------------------------------------------------------------------------


def _dump(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"))


def session_update(session: dict[str, Any]) -> str:
    """`session.update` carrying a GA session object (as the function app returns it)."""
    return _dump({"type": "session.update", "session": session})


def append_audio(audio_b64: str) -> str:
    """`input_audio_buffer.append`; built by concatenation because it runs 50 times a second per call."""
    return '{"type":"input_audio_buffer.append","audio":"' + audio_b64 + '"}'


def response_create(instructions: str | None = None) -> str:
    """`response.create`, optionally with per-response instructions (used for the greeting)."""
    event: dict[str, Any] = {"type": "response.create"}
    if instructions:
        event["response"] = {"instructions": instructions}
    return _dump(event)


def greeting_instructions(greeting: str) -> str:
    """Instructions that make the agent open the call with the configured greeting."""
    return f'Greet the caller now. Say exactly: "{greeting}"'


def truncate_item(item_id: str, audio_end_ms: int, content_index: int = 0) -> str:
    """`conversation.item.truncate`: the caller only heard `audio_end_ms` of this item."""
    return _dump(
        {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": content_index,
            "audio_end_ms": audio_end_ms,
        }
    )


def function_call_output(tool_call_id: str, output: str) -> str:
    """`conversation.item.create` with a `function_call_output` item."""
    return _dump(
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": tool_call_id, "output": output},
        }
    )


def user_text(text: str) -> str:
    """`conversation.item.create` with a user message (DTMF key presses become text input)."""
    return _dump(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        }
    )


def system_text(text: str) -> str:
    """A system message item: news about the call the model must act on (a transfer failed)."""
    return _dump(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "system", "content": [{"type": "input_text", "text": text}]},
        }
    )


def assistant_text(text: str) -> str:
    """An assistant message item, used to restore context after a model reconnect."""
    return _dump(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text}],
            },
        }
    )

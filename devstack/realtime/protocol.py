"""What the simulator accepts from clients (GA Realtime client events) and how it says no.

Each client event type has a validator; a malformed or unknown event gets an `error` server event
shaped like the real service's (`invalid_request_error` with a code, message, param and the
client's `event_id`) and the session goes on, as it does on Azure.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable
from typing import Any


class ClientEventError(ValueError):
    """A client event the real service would refuse."""

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


def new_id(prefix: str) -> str:
    """Ids shaped like the service's (`item_...`, `resp_...`, `event_...`)."""
    return f"{prefix}_{secrets.token_hex(10)}"


def error_event(exc: ClientEventError, client_event_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "error",
        "event_id": new_id("event"),
        "error": {
            "type": "invalid_request_error",
            "code": exc.code,
            "message": exc.message,
            "param": exc.param,
            "event_id": client_event_id,
        },
    }


def _require(event: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in event:
        raise ClientEventError("missing_required_parameter", f"Missing required parameter: '{key}'.", key)
    value = event[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ClientEventError("invalid_type", f"Invalid type for '{key}'.", key)
    return value


def _audio(event: dict[str, Any]) -> None:
    audio = _require(event, "audio", str)
    try:
        raw = base64.b64decode(audio, validate=True)
    except binascii.Error:
        raise ClientEventError(
            "invalid_value", "Invalid 'audio'. Expected base64-encoded audio bytes.", "audio"
        ) from None
    if len(raw) % 2:
        raise ClientEventError("invalid_value", "Invalid 'audio'. PCM16 audio must have an even byte count.", "audio")


def _session(event: dict[str, Any]) -> None:
    session = _require(event, "session", dict)
    kind = session.get("type")
    if kind not in ("realtime", "transcription"):
        raise ClientEventError("invalid_value", "Invalid value for 'session.type'.", "session.type")
    audio = session.get("audio", {})
    if not isinstance(audio, dict):
        raise ClientEventError("invalid_type", "Invalid type for 'session.audio'.", "session.audio")
    for side in ("input", "output"):
        fmt = (audio.get(side) or {}).get("format")
        if fmt is not None and (
            not isinstance(fmt, dict) or fmt.get("type") not in ("audio/pcm", "audio/pcmu", "audio/pcma")
        ):
            raise ClientEventError(
                "invalid_value", f"Invalid 'session.audio.{side}.format'.", f"session.audio.{side}.format"
            )
        if isinstance(fmt, dict) and fmt.get("type") == "audio/pcm" and fmt.get("rate", 24000) != 24000:
            raise ClientEventError(
                "invalid_value", "Only a rate of 24000 is supported for audio/pcm.", f"session.audio.{side}.format.rate"
            )
    tools = session.get("tools", [])
    if not isinstance(tools, list) or any(not isinstance(t, dict) or not isinstance(t.get("name"), str) for t in tools):
        raise ClientEventError("invalid_value", "Invalid 'session.tools'.", "session.tools")


def _item_create(event: dict[str, Any]) -> None:
    item = _require(event, "item", dict)
    kind = item.get("type")
    if kind == "message":
        if item.get("role") not in ("user", "assistant", "system"):
            raise ClientEventError("invalid_value", "Invalid 'item.role'.", "item.role")
        if not isinstance(item.get("content"), list):
            raise ClientEventError(
                "missing_required_parameter", "Missing required parameter: 'item.content'.", "item.content"
            )
    elif kind == "function_call_output":
        _require(item, "call_id", str)
        _require(item, "output", str)
    elif kind == "function_call":
        _require(item, "call_id", str)
        _require(item, "name", str)
    else:
        raise ClientEventError("invalid_value", "Invalid value for 'item.type'.", "item.type")


def _truncate(event: dict[str, Any]) -> None:
    _require(event, "item_id", str)
    _require(event, "content_index", int)
    end = _require(event, "audio_end_ms", int)
    if end < 0:
        raise ClientEventError("invalid_value", "'audio_end_ms' must be >= 0.", "audio_end_ms")


def _response(event: dict[str, Any]) -> None:
    response = event.get("response", {})
    if not isinstance(response, dict):
        raise ClientEventError("invalid_type", "Invalid type for 'response'.", "response")
    if "instructions" in response and not isinstance(response["instructions"], str):
        raise ClientEventError("invalid_type", "Invalid type for 'response.instructions'.", "response.instructions")


def _nothing(event: dict[str, Any]) -> None:
    return None


VALIDATORS: dict[str, Callable[[dict[str, Any]], None]] = {
    "session.update": _session,
    "input_audio_buffer.append": _audio,
    "input_audio_buffer.commit": _nothing,
    "input_audio_buffer.clear": _nothing,
    "conversation.item.create": _item_create,
    "conversation.item.truncate": _truncate,
    "conversation.item.delete": lambda e: _require(e, "item_id", str),
    "conversation.item.retrieve": lambda e: _require(e, "item_id", str),
    "response.create": _response,
    "response.cancel": _nothing,
    "output_audio_buffer.clear": _nothing,
}


def parse_client_event(text: str | bytes) -> dict[str, Any]:
    """Parse and validate one client event.

    Raises:
        ClientEventError: not JSON, no known `type`, or a bad shape for that type.
    """
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        raise ClientEventError("invalid_json", "The server could not parse the event as JSON.") from None
    if not isinstance(event, dict):
        raise ClientEventError("invalid_json", "Events must be JSON objects.")
    kind = event.get("type")
    validator = VALIDATORS.get(kind) if isinstance(kind, str) else None
    if validator is None:
        raise ClientEventError(
            "invalid_value",
            f"Invalid value: '{kind}'. Supported values are: {', '.join(sorted(VALIDATORS))}.",
            "type",
        )
    validator(event)
    return event

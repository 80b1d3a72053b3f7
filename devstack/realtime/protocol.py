"""What the simulator accepts from clients (GA Realtime client events) and how it says no.

Every client event is checked against the official SDK's GA types (`schema.py`: unknown fields, bad
enum values, wrong types), then by the few rules the types cannot express (base64 audio, positions).
A malformed or unknown event gets an `error` server event shaped like the real service's
(`invalid_request_error` with a code, message, param and the client's `event_id`) and the session
goes on, as it does on Azure.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable
from typing import Any

from devstack.realtime.schema import EVENT_MODELS, SchemaError, check_event


class ClientEventError(ValueError):
    """A client event the real service would refuse."""

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.event_id: str | None = None  # the refused client event's event_id, when it had one


def new_id(prefix: str) -> str:
    """Ids shaped like the service's (`item_...`, `resp_...`, `event_...`)."""
    return f"{prefix}_{secrets.token_hex(10)}"


def error_event(exc: ClientEventError, client_event_id: str | None = None) -> dict[str, Any]:
    """The `error` server event for `exc`, echoing the client's event_id (argument, else the one parsed)."""
    return {
        "type": "error",
        "event_id": new_id("event"),
        "error": {
            "type": "invalid_request_error",
            "code": exc.code,
            "message": exc.message,
            "param": exc.param,
            "event_id": client_event_id or exc.event_id,
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


def _truncate(event: dict[str, Any]) -> None:
    if event["audio_end_ms"] < 0:
        raise ClientEventError("invalid_value", "'audio_end_ms' must be >= 0.", "audio_end_ms")


# What the SDK's types cannot say, per event type (run after the schema check).
VALIDATORS: dict[str, Callable[[dict[str, Any]], None]] = {
    "input_audio_buffer.append": _audio,
    "conversation.item.truncate": _truncate,
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
    event_id = event.get("event_id")
    event_id = event_id if isinstance(event_id, str) else None
    kind = event.get("type")
    try:
        if not isinstance(kind, str) or kind not in EVENT_MODELS:
            raise ClientEventError(
                "invalid_value",
                f"Invalid value: '{kind}'. Supported values are: {', '.join(sorted(EVENT_MODELS))}.",
                "type",
            )
        try:
            check_event(event)
        except SchemaError as exc:
            raise ClientEventError(exc.code, exc.message, exc.param) from None
        validator = VALIDATORS.get(kind)
        if validator is not None:
            validator(event)
    except ClientEventError as exc:
        exc.event_id = event_id  # the service echoes the client's event_id on every error
        raise
    return event

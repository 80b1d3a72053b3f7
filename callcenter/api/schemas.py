"""JSON Schemas of request and response bodies: used to validate requests and to write OpenAPI."""

from __future__ import annotations

from typing import Any

AGENT_NAME = {"type": "string", "minLength": 1, "maxLength": 64}

SESSION_REQUEST = {
    "type": "object",
    "properties": {"agent": AGENT_NAME},
    "additionalProperties": False,
}

SESSION_RESPONSE = {
    "type": "object",
    "properties": {
        "session_id": {"type": "string"},
        "ephemeral_key": {"type": "string"},
        "expires_at": {"type": "integer"},
        "realtime_url": {"type": "string"},
        "deployment": {"type": "string"},
        "voice": {"type": "string"},
        "backend": {
            "type": "string",
            "enum": ["realtime", "voice-live"],
            "description": "The web session's speech backend: WebRTC with the key, or the bridge with the token",
        },
        "bridge_url": {"type": "string", "description": "voice-live: the bridge's browser WebSocket endpoint"},
        "bridge_token": {"type": "string", "description": "voice-live: single-use, two-minute, session-bound"},
        "model": {"type": "string"},
        "agent": {"type": "string"},
        "conversation": {
            "type": "object",
            "description": "Present when records are kept: where and how the browser posts its events",
            "properties": {
                "id": {"type": "string"},
                "token": {"type": "string"},
                "expires_at": {"type": "integer"},
                "events_url": {"type": "string"},
                "heartbeat_seconds": {"type": "integer"},
            },
        },
    },
    "required": ["session_id", "expires_at", "voice", "agent"],
}

FUNCTION_CALL_REQUEST = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "call_id": {"type": "string", "maxLength": 128},
        "arguments": {"type": ["object", "string", "null"]},
        "agent": AGENT_NAME,
        "backend": {"type": "string", "enum": ["realtime", "voice-live"]},
    },
    "required": ["name"],
}

FUNCTION_CALL_RESPONSE = {
    "type": "object",
    "properties": {
        "call_id": {"type": ["string", "null"]},
        "output": {"type": "string", "description": "JSON text for the function_call_output item"},
        "ok": {"type": "boolean"},
        "control": {"type": "string", "enum": ["escalate", "end_call", "voicemail"]},
        "agent": {"type": "string", "description": "Present on a handoff: the agent now speaking"},
        "session": {"type": "object", "description": "Present on a handoff: send as session.update"},
    },
    "required": ["call_id", "output", "ok"],
}

TOOLS_RESPONSE = {
    "type": "object",
    "properties": {
        "tools": {"type": "array", "items": {"type": "object"}},
        "tool_choice": {"type": "string"},
    },
    "required": ["tools", "tool_choice"],
}

AGENTS_RESPONSE = {
    "type": "object",
    "properties": {"agents": {"type": "array", "items": {"type": "object"}}, "default": {"type": "string"}},
    "required": ["agents"],
}

HEALTH_RESPONSE = {
    "type": "object",
    "properties": {"status": {"type": "string"}, "features": {"type": "object"}},
    "required": ["status", "features"],
}

PHONE_NUMBER_RESPONSE = {
    "type": "object",
    "properties": {"phone_number": {"type": "string"}},
    "required": ["phone_number"],
}


def object_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}

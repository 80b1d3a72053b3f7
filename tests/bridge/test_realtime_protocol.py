"""The Realtime GA codec, with plain strings: no sockets."""

from __future__ import annotations

import base64
import json

import pytest

from bridge import realtime_protocol as rt
from bridge.events import (
    AgentAudio,
    CallerTranscript,
    CallerTranscriptFailed,
    ModelError,
    ResponseDone,
    SpeechStarted,
    ToolCallRequested,
)


def test_ga_server_events_become_typed_bridge_events() -> None:
    pcm = b"\x01\x02" * 10
    delta = {
        "type": "response.output_audio.delta",
        "item_id": "i1",
        "content_index": 0,
        "delta": base64.b64encode(pcm).decode(),
    }
    assert rt.parse_server_event(json.dumps(delta)) == AgentAudio("i1", base64.b64encode(pcm).decode(), 0)
    started = {"type": "input_audio_buffer.speech_started", "audio_start_ms": 120, "item_id": "u1"}
    assert rt.parse_server_event(json.dumps(started)) == SpeechStarted(120, "u1")
    heard = {
        "type": "conversation.item.input_audio_transcription.completed",
        "item_id": "u1",
        "content_index": 0,
        "transcript": "hi",
    }
    assert rt.parse_server_event(json.dumps(heard)) == CallerTranscript("u1", "hi")
    call = {
        "type": "response.function_call_arguments.done",
        "call_id": "c1",
        "name": "f",
        "arguments": "{}",
        "item_id": "i2",
    }
    assert rt.parse_server_event(json.dumps(call)) == ToolCallRequested("c1", "f", "{}", "i2")
    done = {"type": "response.done", "response": {"id": "r1", "status": "completed", "usage": {"total_tokens": 5}}}
    assert rt.parse_server_event(json.dumps(done)) == ResponseDone("r1", "completed", {"total_tokens": 5})
    error = {"type": "error", "error": {"type": "invalid_request_error", "code": "x", "message": "m"}}
    assert rt.parse_server_event(json.dumps(error)) == ModelError("x", "m", "invalid_request_error")


def test_cancelled_response_done_carries_the_reason_and_failed_transcriptions_are_parsed() -> None:
    done = {
        "type": "response.done",
        "response": {
            "id": "r2",
            "status": "cancelled",
            "status_details": {"type": "cancelled", "reason": "turn_detected"},
            "output": [{"id": "i1", "type": "message", "status": "incomplete"}],
        },
    }
    assert rt.parse_server_event(json.dumps(done)) == ResponseDone("r2", "cancelled", None, "turn_detected")
    failed = {
        "type": "conversation.item.input_audio_transcription.failed",
        "item_id": "u2",
        "content_index": 0,
        "error": {"type": "transcription_error", "code": "audio_unintelligible", "message": "m"},
    }
    assert rt.parse_server_event(json.dumps(failed)) == CallerTranscriptFailed("u2")


def test_preview_event_names_are_not_mistaken_for_ga_ones() -> None:
    assert rt.parse_server_event('{"type": "response.audio.delta", "item_id": "i", "delta": ""}') is None


@pytest.mark.parametrize(
    "text",
    [
        "nope",
        "{}",
        '{"type": "response.output_audio.delta", "item_id": "i", "delta": "%%%"}',
        '{"type": "response.done"}',
    ],
)
def test_unusable_server_events_raise_a_typed_error(text: str) -> None:
    with pytest.raises(rt.RealtimeProtocolError):
        rt.parse_server_event(text)


def test_client_events_are_valid_ga_json() -> None:
    assert json.loads(rt.append_audio("AAAA")) == {"type": "input_audio_buffer.append", "audio": "AAAA"}
    assert json.loads(rt.truncate_item("i1", 340)) == {
        "type": "conversation.item.truncate",
        "item_id": "i1",
        "content_index": 0,
        "audio_end_ms": 340,
    }
    output = json.loads(rt.function_call_output("c1", '{"ok": true}'))
    assert output["item"] == {"type": "function_call_output", "call_id": "c1", "output": '{"ok": true}'}
    greet = json.loads(rt.response_create(rt.greeting_instructions("Hello there")))
    assert greet["type"] == "response.create" and '"Hello there"' in greet["response"]["instructions"]
    assert json.loads(rt.session_update({"type": "realtime"})) == {
        "type": "session.update",
        "session": {"type": "realtime"},
    }

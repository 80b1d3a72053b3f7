"""Property tests of the Realtime GA codec.

Server events parse or raise `RealtimeProtocolError`; client events are JSON carrying their arguments.
"""

from __future__ import annotations

import base64
import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bridge.events import AgentAudio, AgentTranscript, CallerTranscript, SpeechStarted, ToolCallRequested
from bridge.realtime_protocol import (
    RealtimeProtocolError,
    append_audio,
    assistant_text,
    function_call_output,
    parse_server_event,
    response_create,
    session_update,
    system_text,
    truncate_item,
    user_text,
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
TYPES = st.sampled_from(
    [
        "session.created",
        "response.created",
        "response.output_audio.delta",
        "response.output_audio.done",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "conversation.item.input_audio_transcription.completed",
        "response.output_audio_transcript.done",
        "response.function_call_arguments.done",
        "response.done",
        "error",
        "rate_limits.updated",
    ]
)
FIELDS = st.sampled_from(
    [
        *("delta", "item_id", "content_index", "audio_start_ms", "audio_end_ms", "transcript"),
        *("call_id", "name", "arguments", "response", "error"),
    ]
)


def parse(text: str | bytes) -> object:
    try:
        return parse_server_event(text)
    except RealtimeProtocolError:
        return "refused"


@settings(max_examples=400)
@given(st.one_of(st.text(), st.binary()))
@example("[" * 100_000)
@example('{"type": "response.output_audio.delta", "item_id": "i", "delta": "\\u00e9"}')
def test_any_input_is_parsed_or_refused_with_the_typed_error(text: str | bytes) -> None:
    parse(text)


@settings(max_examples=500)
@given(TYPES, st.dictionaries(FIELDS, JSON, max_size=6))
def test_realtime_shaped_events_parse_or_raise_the_typed_error(kind: str, fields: dict) -> None:
    parse(json.dumps({**fields, "type": kind}))


@given(st.binary(max_size=2048), st.text(max_size=30), st.integers(0, 10))
def test_audio_deltas_round_trip(pcm: bytes, item_id: str, index: int) -> None:
    text = json.dumps(
        {
            "type": "response.output_audio.delta",
            "item_id": item_id,
            "content_index": index,
            "delta": base64.b64encode(pcm).decode(),
        }
    )
    event = parse_server_event(text)
    assert event == AgentAudio(item_id=item_id, audio_b64=base64.b64encode(pcm).decode(), content_index=index)
    assert isinstance(event, AgentAudio) and event.pcm == pcm


@given(st.text(), st.text(), st.text(), st.text())
def test_transcripts_and_tool_calls_round_trip(item_id: str, text: str, call_id: str, arguments: str) -> None:
    caller = {"type": "conversation.item.input_audio_transcription.completed", "item_id": item_id, "transcript": text}
    agent = {"type": "response.output_audio_transcript.done", "item_id": item_id, "transcript": text}
    tool = {
        "type": "response.function_call_arguments.done",
        "call_id": call_id,
        "name": text,
        "arguments": arguments,
        "item_id": item_id,
    }
    assert parse_server_event(json.dumps(caller)) == CallerTranscript(item_id=item_id, text=text)
    assert parse_server_event(json.dumps(agent)) == AgentTranscript(item_id=item_id, text=text)
    assert parse_server_event(json.dumps(tool)) == ToolCallRequested(call_id, text, arguments, item_id)


@given(st.integers(0, 2**40))
def test_speech_started_round_trips(ms: int) -> None:
    event = {"type": "input_audio_buffer.speech_started", "audio_start_ms": ms, "item_id": "x"}
    assert parse_server_event(json.dumps(event)) == SpeechStarted(audio_start_ms=ms, item_id="x")


@given(st.text(), st.text(), st.integers(0, 2**31), st.dictionaries(st.text(max_size=8), JSON, max_size=4))
def test_client_events_are_json_carrying_their_arguments_verbatim(text: str, item: str, ms: int, session: dict) -> None:
    assert json.loads(session_update(session)) == {"type": "session.update", "session": session}
    assert json.loads(function_call_output(item, text))["item"] == {
        "type": "function_call_output",
        "call_id": item,
        "output": text,
    }
    assert json.loads(truncate_item(item, ms))["audio_end_ms"] == ms
    for build in (user_text, system_text, assistant_text):
        assert json.loads(build(text))["item"]["content"][0]["text"] == text
    created = json.loads(response_create(text))
    assert created["type"] == "response.create" and created.get("response", {}).get("instructions", "") == text


@given(st.binary(max_size=2048))
def test_appended_audio_is_valid_json(pcm: bytes) -> None:
    data = base64.b64encode(pcm).decode()
    assert json.loads(append_audio(data)) == {"type": "input_audio_buffer.append", "audio": data}


@given(st.binary(max_size=3000), st.text(max_size=30), st.integers(0, 10), st.booleans(), st.booleans())
def test_compact_audio_deltas_parse_exactly_as_the_general_parser_does(
    pcm: bytes, item_id: str, index: int, delta_last: bool, extra_delta_first: bool
) -> None:
    """The hot path (delta as last member, sliced without scanning the audio) agrees with json.loads."""
    fields: dict = {"type": "response.output_audio.delta"}
    if extra_delta_first:
        fields["delta"] = "AAAA"  # a duplicate key: JSON's last one wins in both parsers
    fields |= {"event_id": "e", "item_id": item_id, "content_index": index}
    delta = base64.b64encode(pcm).decode()
    text = json.dumps(fields, separators=(",", ":"))[:-1] + f',"delta":"{delta}"}}'
    if not delta_last:
        text = text[:-1] + ',"output_index":0}'
    general = json.loads(text)
    assert parse_server_event(text) == AgentAudio(general["item_id"], general["delta"], general["content_index"])


def test_a_key_that_only_ends_in_delta_is_not_taken_for_the_audio() -> None:
    text = '{"type":"response.output_audio.delta","item_id":"i","x\\"delta":"AAAA"}'
    assert json.loads(text) == {"type": "response.output_audio.delta", "item_id": "i", 'x"delta': "AAAA"}
    assert parse(text) == "refused"  # no "delta" member: refused, as the general parser refuses it

"""Property tests of the ACS media codec: any frame yields an event, None or `AcsProtocolError`, nothing else."""

from __future__ import annotations

import base64
import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bridge.acs_protocol import (
    SUPPORTED_RATES,
    AcsProtocolError,
    audio_message,
    parse_acs_message,
    stop_audio_message,
)
from bridge.events import CallerAudio, CallerDtmf, MediaStarted

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
KINDS = st.sampled_from(["AudioMetadata", "AudioData", "DtmfData", "StopAudio", "Other"])


@st.composite
def frames(draw: st.DrawFn) -> str:
    """Frames shaped like ACS's (a known kind with fuzzed fields), or arbitrary JSON."""
    kind = draw(KINDS)
    body = {
        "kind": kind,
        "audioMetadata": draw(st.dictionaries(st.sampled_from(["sampleRate", "length", "encoding", "channels"]), JSON)),
        "audioData": draw(st.dictionaries(st.sampled_from(["data", "silent", "timestamp"]), JSON)),
        "dtmfData": draw(st.dictionaries(st.sampled_from(["data"]), JSON)),
    }
    return json.dumps(draw(st.sampled_from([body, draw(JSON)])))


def check(text: str) -> object:
    try:
        return parse_acs_message(text)
    except AcsProtocolError:
        return "refused"


@settings(max_examples=400)
@given(st.text())
@example("[" * 100_000)
def test_any_text_is_parsed_or_refused_with_the_typed_error(text: str) -> None:
    check(text)


@settings(max_examples=400)
@given(frames())
@example('{"kind": "AudioMetadata", "audioMetadata": {"sampleRate": 16000.0, "length": 640}}')
@example('{"kind": "AudioMetadata", "audioMetadata": {"sampleRate": 24000, "length": true}}')
def test_acs_shaped_frames_give_well_typed_events_or_the_typed_error(text: str) -> None:
    event = check(text)
    if isinstance(event, MediaStarted):
        assert type(event.sample_rate) is int and event.sample_rate in SUPPORTED_RATES
        assert type(event.frame_bytes) is int and event.frame_bytes > 0
    elif isinstance(event, CallerAudio):
        base64.b64decode(event.audio_b64, validate=True)
    elif isinstance(event, CallerDtmf):
        assert len(event.digit) == 1
    else:
        assert event in (None, "refused")


@given(st.binary(max_size=4096))
def test_outbound_audio_round_trips_through_the_parser(pcm: bytes) -> None:
    data = base64.b64encode(pcm).decode()
    assert parse_acs_message(audio_message(data)) == CallerAudio(audio_b64=data)


@given(st.sampled_from("0123456789*#ABCD"))
def test_dtmf_frames_round_trip(digit: str) -> None:
    assert parse_acs_message(json.dumps({"kind": "DtmfData", "dtmfData": {"data": digit}})) == CallerDtmf(digit)


def test_stop_audio_is_ignored_by_the_parser() -> None:
    assert parse_acs_message(stop_audio_message()) is None

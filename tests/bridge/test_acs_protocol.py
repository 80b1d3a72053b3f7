"""The ACS media codec, with plain strings: no sockets."""

from __future__ import annotations

import base64
import json

import pytest

from bridge.acs_protocol import AcsProtocolError, audio_message, parse_acs_message, stop_audio_message
from bridge.events import CallerAudio, CallerDtmf, MediaStarted


def test_metadata_is_parsed_into_media_started() -> None:
    text = json.dumps(
        {
            "kind": "AudioMetadata",
            "audioMetadata": {
                "subscriptionId": "s",
                "encoding": "PCM",
                "sampleRate": 16000,
                "channels": 1,
                "length": 640,
            },
        }
    )
    assert parse_acs_message(text) == MediaStarted(sample_rate=16000, frame_bytes=640, subscription_id="s")


def test_audio_data_keeps_the_base64_payload_untouched() -> None:
    data = base64.b64encode(bytes(range(256)) * 3 + bytes(192)).decode()
    event = parse_acs_message(json.dumps({"kind": "AudioData", "audioData": {"data": data, "silent": False}}))
    assert event == CallerAudio(audio_b64=data, silent=False)


def test_audio_round_trips_through_the_outbound_codec() -> None:
    pcm = bytes(range(200)) * 4 + bytes(160)
    out = json.loads(audio_message(base64.b64encode(pcm).decode()))
    assert out == {"kind": "AudioData", "audioData": {"data": base64.b64encode(pcm).decode()}}
    assert base64.b64decode(out["audioData"]["data"]) == pcm


def test_stop_audio_has_the_documented_shape() -> None:
    assert json.loads(stop_audio_message()) == {"kind": "StopAudio", "audioData": None, "stopAudio": {}}


def test_dtmf_and_unknown_kinds() -> None:
    assert parse_acs_message('{"kind": "DtmfData", "dtmfData": {"data": "#"}}') == CallerDtmf("#")
    assert parse_acs_message('{"kind": "SomethingNew", "x": 1}') is None


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '{"no": "kind"}',
        '{"kind": "AudioMetadata", "audioMetadata": {"sampleRate": 8000}}',
        '{"kind": "AudioData", "audioData": {"data": "abc\\"def"}}',
        '{"kind": "AudioData", "audioData": {"data": "abc"}}',
        '{"kind": "AudioData", "audioData": {"data": 5}}',
        '{"kind": "AudioData"}',
        '{"kind": "DtmfData", "dtmfData": {"data": "12"}}',
        "[" * 100000,
    ],
)
def test_malformed_frames_raise_a_typed_error(text: str) -> None:
    with pytest.raises(AcsProtocolError):
        parse_acs_message(text)


_DATA = base64.b64encode(bytes(range(256)) * 3 + bytes(192)).decode()


@pytest.mark.parametrize(
    "text",
    [
        '{"kind":"AudioData","audioData":{"timestamp":"2024-05-01T10:00:00.02Z","participantRawID":"8:acs:x",'
        f'"data":"{_DATA}","silent":false}}}}',
        f'{{"kind":"AudioData","audioData":{{"data":"{_DATA}","silent":true}}}}',
        f'{{"kind":"AudioData","audioData":{{"data":"{_DATA}"}}}}',
        '{"kind":"AudioData","audioData":{"data":"QUJD","silent":false}}',
        '{"kind":"AudioData","audioData":{"timestamp":"t","data":"","silent":true}}',
    ],
)
def test_compact_audio_frames_parse_as_the_same_frame_in_any_json_layout(text: str) -> None:
    """The sliced fast path for ACS's compact frames agrees with the general JSON parser."""
    pretty = json.dumps(json.loads(text), indent=2)  # not compact: takes the general parser
    assert parse_acs_message(text) == parse_acs_message(pretty)
    assert isinstance(parse_acs_message(text), CallerAudio)


@pytest.mark.parametrize(
    "text",
    [
        '{"kind":"AudioData","audioData":{"data":"QUJ","silent":false}}',  # not whole 4-char groups
        '{"kind":"AudioData","audioData":{"data":"Q===","silent":false}}',  # three pad characters
        '{"kind":"AudioData","audioData":{"data":"QU=D","silent":false}}',  # padding inside
        '{"kind":"AudioData","audioData":{"data":"QUJD","silent":false}',  # truncated
        '{"kind":"AudioData","audioData":{"data":"QUJD","silent":maybe}}',
        '{"kind":"AudioData","audioData":{"data":"QUJD"}} trailing',
        '{"kind":"AudioData","audioData":{"timestamp":"a\nb","data":"QUJD"}}',  # raw control character
        '{"kind":"AudioData","audioData":{"data":"QUJ\u00e9"}}',
    ],
)
def test_compact_audio_frames_that_are_not_valid_are_refused(text: str) -> None:
    with pytest.raises(AcsProtocolError):
        parse_acs_message(text)

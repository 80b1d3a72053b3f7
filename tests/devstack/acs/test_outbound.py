"""Outbound calls through the real SDK: callee behaviours, media streaming, signed callbacks."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from azure.communication.callautomation import PhoneNumberIdentifier
from azure.core.exceptions import ResourceNotFoundError

from tests.devstack.acs.harness import RESOURCE_ID, FakeBridge, running_stack, tone

CALLEE = "+15550001111"
OUR_NUMBER = "+15559990000"


def place_call(stack, callee: str = CALLEE, media: bool = True) -> str:  # type: ignore[no-untyped-def]
    result = stack.client().create_call(
        PhoneNumberIdentifier(callee),
        stack.callback_url,
        source_caller_id_number=PhoneNumberIdentifier(OUR_NUMBER),
        media_streaming=stack.media() if media else None,
        operation_context="outbound-op",
    )
    assert result.call_connection_state == "connecting"
    return str(result.call_connection_id)


def test_answered_call_streams_media_both_ways_and_app_hang_up_ends_it_with_signed_callbacks(tmp_path: Path) -> None:
    bridge = FakeBridge(agent_pcm=tone(0.4))
    with running_stack(tmp_path, bridge) as stack:
        stack.behaviours(**{"+15550001111": {"kind": "answer", "script": [{"say": "hello there"}]}})
        call_id = place_call(stack)
        connected = stack.wait_for_event(call_id, "CallConnected")
        assert connected["data"]["operationContext"] == "outbound-op"
        stack.wait_for_event(call_id, "MediaStreamingStarted")
        stack.wait_for(lambda: stack.call(call_id)["handset_stats"]["agent_frames_heard"] >= 20, "agent audio heard")
        stack.wait_for(lambda: bridge.kinds().count("AudioData") >= 20, "caller audio")
        stack.client().get_call_connection(call_id).hang_up(is_for_everyone=True)
        stack.wait_for_event(call_id, "CallDisconnected")

        assert stack.callbacks.types(call_id) == [
            "CallConnected",
            "MediaStreamingStarted",
            "MediaStreamingStopped",
            "CallDisconnected",
        ]
        assert bridge.headers["x-ms-call-connection-id"] == call_id
        assert bridge.messages[0]["kind"] == "AudioMetadata"
        assert bridge.messages[0]["audioMetadata"]["sampleRate"] == 24000
        assert bridge.messages[0]["audioMetadata"]["length"] == 960
        frame = next(m for m in bridge.messages if m["kind"] == "AudioData" and not m["audioData"]["silent"])
        assert frame["audioData"]["participantRawID"] == "4:" + CALLEE

        # Every callback carries a JWT that verifies against the published OpenID keys.
        config = stack.control("GET", "/calling/.well-known/acsopenidconfiguration").json()
        keys = jwt.PyJWKClient(config["jwks_uri"])
        for request in stack.callbacks.requests:
            token = request["headers"]["authorization"].removeprefix("Bearer ")
            claims = jwt.decode(
                token,
                keys.get_signing_key_from_jwt(token).key,
                algorithms=["RS256"],
                audience=RESOURCE_ID,
                issuer=config["issuer"],
            )
            assert claims["exp"] - claims["iat"] == 300
        assert config["issuer"] == "https://acscallautomation.communication.azure.com"

        snapshot = stack.wait_for(lambda: (c := stack.call(call_id))["recording"]["heard_wav"] and c, "wav")
        assert snapshot["outcome"] == "completed" and snapshot["ended_by"] == "app:terminate"
        assert snapshot["handset_stats"]["agent_frames_heard"] == 20  # 0.4 s of agent audio in 20 ms frames
        assert Path(snapshot["recording"]["heard_wav"]).stat().st_size > 44
        with pytest.raises(ResourceNotFoundError):
            stack.client().get_call_connection(call_id).get_call_properties()


@pytest.mark.parametrize(
    ("behaviour", "code", "sub_code", "outcome"),
    [
        ({"kind": "no_answer", "seconds": 0.2}, 480, 560480, "no_answer"),
        ({"kind": "busy", "ring_seconds": 0.05}, 486, 560486, "busy"),
        ({"kind": "decline", "ring_seconds": 0.05}, 603, 560603, "declined"),
    ],
)
def test_unanswered_call_fails_with_create_call_failed_then_disconnected(
    tmp_path: Path, behaviour: dict[str, object], code: int, sub_code: int, outcome: str
) -> None:
    with running_stack(tmp_path) as stack:
        stack.behaviours(**{"+15550001111": behaviour})
        call_id = place_call(stack)
        failed = stack.wait_for_event(call_id, "CreateCallFailed")
        stack.wait_for_event(call_id, "CallDisconnected")
        assert failed["data"]["resultInformation"]["code"] == code
        assert failed["data"]["resultInformation"]["subCode"] == sub_code
        assert failed["data"]["operationContext"] == "outbound-op"
        assert stack.callbacks.types(call_id) == ["CreateCallFailed", "CallDisconnected"]
        assert stack.call(call_id)["outcome"] == outcome
        assert stack.bridge.connections == 0


def test_voicemail_answers_and_plays_its_greeting_into_the_media_stream_then_hangs_up(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        stack.behaviours(**{"+15550001111": {"kind": "voicemail", "seconds": 0.3, "greeting": "Leave a message"}})
        call_id = place_call(stack)
        stack.wait_for_event(call_id, "CallConnected")
        disconnected = stack.wait_for_event(call_id, "CallDisconnected")
        assert disconnected["data"]["resultInformation"]["subCode"] == 560000  # the far end hung up
        spoken = [m for m in stack.bridge.messages if m["kind"] == "AudioData" and not m["audioData"]["silent"]]
        assert len(spoken) == 45  # "Leave a message": 15 characters of 60 ms stand-in speech in 20 ms frames
        assert stack.call(call_id)["ended_by"] == "callee:script_hangup"


def test_callee_that_hangs_up_after_n_seconds_disconnects_without_the_app_asking(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        stack.behaviours(default={"kind": "hang_up_after", "seconds": 0.2})
        call_id = place_call(stack, callee="+15550002222", media=False)
        stack.wait_for_event(call_id, "CallDisconnected")
        assert stack.callbacks.types(call_id) == ["CallConnected", "CallDisconnected"]
        assert stack.call(call_id)["ended_by"] == "callee"


def test_refused_media_handshake_reports_media_streaming_failed_and_the_call_stays_up(tmp_path: Path) -> None:
    with running_stack(tmp_path, FakeBridge(refuse=True)) as stack:
        call_id = place_call(stack)
        failed = stack.wait_for_event(call_id, "MediaStreamingFailed")
        update = failed["data"]["mediaStreamingUpdate"]
        assert update["mediaStreamingStatus"] == "mediaStreamingFailed"
        assert update["mediaStreamingStatusDetails"] == "forbidden"
        assert failed["data"]["resultInformation"]["subCode"] == 8603
        assert stack.call(call_id)["state"] == "connected"


def test_bridge_closing_the_socket_abnormally_reports_an_interrupted_stream(tmp_path: Path) -> None:
    with running_stack(tmp_path, FakeBridge(close_code_after_metadata=1011)) as stack:
        call_id = place_call(stack)
        failed = stack.wait_for_event(call_id, "MediaStreamingFailed")
        assert failed["data"]["mediaStreamingUpdate"]["mediaStreamingStatusDetails"] == "streamConnectionInterrupted"
        assert stack.callbacks.types(call_id)[:2] == ["CallConnected", "MediaStreamingStarted"]
        assert stack.call(call_id)["media_stats"]["close_code"] == 1011


def test_media_streaming_can_be_started_and_stopped_mid_call(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        call_id = place_call(stack, media=False)
        stack.wait_for_event(call_id, "CallConnected")
        connection = stack.client().get_call_connection(call_id)
        with pytest.raises(Exception) as no_options:
            connection.start_media_streaming()
        assert getattr(no_options.value, "status_code", None) == 400
        stack.control("POST", f"/simulator/calls/{call_id}/hangup")
        stack.wait_for_event(call_id, "CallDisconnected")

        call_id = place_call(stack, media=True)
        stack.wait_for_event(call_id, "MediaStreamingStarted")
        connection = stack.client().get_call_connection(call_id)
        connection.stop_media_streaming(operation_context="stop-1")
        stopped = stack.wait_for_event(call_id, "MediaStreamingStopped")
        assert stopped["data"]["operationContext"] == "stop-1"
        connection.start_media_streaming(operation_context="start-2")
        started = [e for e in stack.callbacks.events(call_id) if e["type"].endswith("MediaStreamingStarted")]
        stack.wait_for(
            lambda: (
                len([e for e in stack.callbacks.events(call_id) if e["type"].endswith("MediaStreamingStarted")]) == 2
            ),
            "restart",
        )
        assert started[0]["data"].get("operationContext") == "outbound-op"
        assert stack.bridge.connections == 2

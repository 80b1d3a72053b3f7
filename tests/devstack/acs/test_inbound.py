"""Inbound calls: IncomingCall through Event Grid (with retries), answer, the caller's script, transfer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest
from azure.communication.callautomation import PhoneNumberIdentifier
from azure.core.exceptions import HttpResponseError

from tests.devstack.acs.harness import RESOURCE_ID, Stack, running_stack, tone

CALLER = "+15551230000"
OUR_NUMBER = "+15559990000"


def ring(stack: Stack, **body: Any) -> tuple[str, dict[str, Any]]:
    """Place an inbound call and wait for its IncomingCall delivery; returns (call id, event)."""
    response = stack.control("POST", "/simulator/calls/inbound", json={"from": CALLER, "to": OUR_NUMBER, **body})
    assert response.status_code == 201, response.text
    call_id, server_call_id = response.json()["id"], response.json()["server_call_id"]

    def delivered() -> dict[str, Any] | None:
        events = [r["body"][0] for r in stack.event_grid.requests]
        return next((e for e in events if e["data"]["serverCallId"] == server_call_id), None)

    return call_id, stack.wait_for(delivered, "IncomingCall delivery")


def answer(stack: Stack, event: dict[str, Any], dtmf: bool = True) -> str:
    result = stack.client().answer_call(
        event["data"]["incomingCallContext"],
        stack.callback_url,
        media_streaming=stack.media(dtmf=dtmf),
        operation_context="answer-op",
    )
    return str(result.call_connection_id)


def test_incoming_call_event_has_the_event_grid_shape_and_answering_runs_the_caller_script(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        call_id, event = ring(stack, script=[{"say": "hi"}, {"dtmf": "12#"}, {"silence": 0.1}])
        delivery = stack.event_grid.requests[0]
        assert delivery["headers"]["aeg-event-type"] == "Notification"
        assert delivery["query"]["functionName"] == "incoming_call"
        assert event["eventType"] == "Microsoft.Communication.IncomingCall"
        assert event["data"]["from"] == {
            "kind": "phoneNumber",
            "rawId": "4:" + CALLER,
            "phoneNumber": {"value": CALLER},
        }
        assert event["data"]["to"]["rawId"] == "4:" + OUR_NUMBER
        assert event["data"]["serverCallId"] and event["data"]["correlationId"]

        assert answer(stack, event) == call_id
        stack.wait_for_event(call_id, "CallDisconnected")  # the caller hangs up after the script
        assert stack.callbacks.types(call_id) == [
            "CallConnected",
            "MediaStreamingStarted",
            "MediaStreamingStopped",
            "CallDisconnected",
        ]
        assert stack.callbacks.events(call_id)[0]["data"]["operationContext"] == "answer-op"
        assert [m["dtmfData"]["data"] for m in stack.bridge.messages if m["kind"] == "DtmfData"] == ["1", "2", "#"]
        snapshot = stack.call(call_id)
        assert snapshot["direction"] == "inbound" and snapshot["ended_by"] == "caller:script_done"
        assert Path(snapshot["recording"]["conversation_wav"]).is_file()
        assert "secret" not in str(snapshot)  # URLs are shown without their tokens


def test_key_presses_reach_the_media_socket_only_when_the_call_enabled_dtmf_tones(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        call_id, event = ring(stack, script=[{"dtmf": "12#"}, {"silence": 0.1}])
        assert answer(stack, event, dtmf=False) == call_id
        stack.wait_for_event(call_id, "CallDisconnected")
        assert "DtmfData" not in stack.bridge.kinds() and "AudioData" in stack.bridge.kinds()
        snapshot = stack.call(call_id)
        assert snapshot["media"]["dtmf"] is False
        assert snapshot["media_stats"]["dtmf_not_streamed"] == 3


def test_media_socket_handshake_carries_a_day_long_acs_jwt_for_the_resource(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        call_id, event = ring(stack, script=[{"silence": 0.1}])
        answer(stack, event)
        stack.wait_for_event(call_id, "MediaStreamingStarted")
        scheme, _, token = stack.bridge.headers["authorization"].partition(" ")
        config = stack.control("GET", "/calling/.well-known/acsopenidconfiguration").json()
        key = jwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(token).key
        claims = jwt.decode(token, key, algorithms=["RS256"], audience=RESOURCE_ID, issuer=config["issuer"])
        assert scheme == "Bearer" and claims["exp"] - claims["iat"] == 24 * 3600


def test_event_grid_delivery_is_retried_until_accepted_and_can_be_duplicated(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        stack.event_grid.statuses.extend([500, 503])
        call_id, _ = ring(stack, deliver_twice=True)
        stack.wait_for(lambda: len(stack.call(call_id)["event_grid_attempts"]) == 4, "four attempts")
        attempts = stack.call(call_id)["event_grid_attempts"]
        assert [a["status"] for a in attempts] == [500, 503, 200, 200]
        ids = {r["body"][0]["id"] for r in stack.event_grid.requests}
        assert len(ids) == 1  # a redelivery is the same event
        assert [r["headers"]["aeg-delivery-count"] for r in stack.event_grid.requests] == ["0", "1", "2", "0"]


def test_event_grid_does_not_retry_a_400(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        stack.event_grid.statuses.append(400)
        call_id, _ = ring(stack)
        assert [a["status"] for a in stack.call(call_id)["event_grid_attempts"]] == [400]


def test_answering_twice_conflicts_and_an_expired_call_cannot_be_answered(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        call_id, event = ring(stack, script=[{"silence": 5}])
        answer(stack, event)
        with pytest.raises(HttpResponseError) as twice:
            answer(stack, event)
        assert twice.value.status_code == 409
        assert twice.value.error is not None and twice.value.error.code == "8519"

        missed_id, missed = ring(stack, ring_seconds=0.1)
        stack.wait_for_state(missed_id, "disconnected")
        with pytest.raises(HttpResponseError) as late:
            answer(stack, missed)
        assert late.value.status_code == 400
        assert stack.call(missed_id)["outcome"] == "missed"
        stack.control("POST", f"/simulator/calls/{call_id}/hangup")


@pytest.mark.parametrize(
    ("agent", "expected"),
    [("answer", None), ("busy", (486, 560486)), ("no_answer", (480, 560480)), ("decline", (603, 560603))],
)
def test_transfer_to_a_human_is_accepted_or_fails_with_the_documented_pstn_code(
    tmp_path: Path, agent: str, expected: tuple[int, int] | None
) -> None:
    with running_stack(tmp_path) as stack:
        stack.behaviours(human_agent={"kind": agent, "seconds": 0.1, "ring_seconds": 0.05})
        call_id, event = ring(stack, script=[{"silence": 30}])
        answer(stack, event)
        stack.wait_for_event(call_id, "MediaStreamingStarted")
        connection = stack.client().get_call_connection(call_id)
        result = connection.transfer_call_to_participant(
            PhoneNumberIdentifier("+15557770000"), operation_context="xfer"
        )
        assert result.operation_context == "xfer"
        if expected is None:
            accepted = stack.wait_for_event(call_id, "CallTransferAccepted")
            assert accepted["data"]["transferTarget"]["rawId"] == "4:+15557770000"
            assert accepted["data"]["transferee"]["rawId"] == "4:" + CALLER
            stack.wait_for_event(call_id, "CallDisconnected")
            assert stack.call(call_id)["outcome"] == "transferred"
        else:
            failed = stack.wait_for_event(call_id, "CallTransferFailed")
            assert failed["data"]["operationContext"] == "xfer"
            info = failed["data"]["resultInformation"]
            assert (info["code"], info["subCode"]) == expected
            assert connection.get_call_properties().call_connection_state == "connected"
            stack.control("POST", f"/simulator/calls/{call_id}/hangup")
            stack.wait_for_event(call_id, "CallDisconnected")


def test_played_text_is_heard_by_the_caller_and_an_unreachable_file_fails(tmp_path: Path) -> None:
    from azure.communication.callautomation import FileSource, TextSource

    with running_stack(tmp_path) as stack:
        call_id, event = ring(stack, script=[{"silence": 30}])
        answer(stack, event)
        stack.wait_for_event(call_id, "CallConnected")
        connection = stack.client().get_call_connection(call_id)
        connection.play_media(TextSource(text="Please hold"), operation_context="hold")
        completed = stack.wait_for_event(call_id, "PlayCompleted")
        assert completed["data"]["operationContext"] == "hold"
        assert stack.call(call_id)["handset_stats"]["prompt_ms_played"] == 660  # 11 characters x 60 ms
        connection.play_media(FileSource(url="https://example.com/hold.wav"), operation_context="file")
        failed = stack.wait_for_event(call_id, "PlayFailed")
        assert failed["data"]["resultInformation"]["subCode"] == 8536


def test_stop_audio_drops_agent_audio_the_caller_has_not_heard_yet(tmp_path: Path) -> None:
    from tests.devstack.acs.harness import FakeBridge

    with running_stack(tmp_path, FakeBridge(agent_pcm=tone(10.0), stop_audio_after_send=True)) as stack:
        call_id, event = ring(stack, script=[{"silence": 60}])
        answer(stack, event)
        stack.wait_for(lambda: stack.call(call_id)["media_stats"]["stop_audio_received"] == 1, "StopAudio")
        stack.control("POST", f"/simulator/calls/{call_id}/hangup")
        stack.wait_for_event(call_id, "CallDisconnected")
        stats = stack.call(call_id)["handset_stats"]
        assert stats["agent_ms_dropped_by_stop_audio"] > 0
        assert stats["agent_frames_heard"] * 20 + stats["agent_ms_dropped_by_stop_audio"] == 10000


def test_call_recording_reports_its_state_changes(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        call_id, event = ring(stack, script=[{"silence": 30}])
        answer(stack, event)
        stack.wait_for_event(call_id, "CallConnected")
        state = stack.client().start_recording(call_connection_id=call_id)
        assert state.recording_state == "active"
        changed = stack.wait_for_event(call_id, "RecordingStateChanged")
        assert changed["data"]["recordingId"] == state.recording_id and changed["data"]["state"] == "active"
        with pytest.raises(HttpResponseError) as duplicate:
            stack.client().start_recording(call_connection_id=call_id)
        assert duplicate.value.status_code == 400
        stack.control("POST", f"/simulator/calls/{call_id}/hangup")
        stack.wait_for_event(call_id, "CallDisconnected")
        states = [e["data"]["state"] for e in stack.callbacks.events(call_id) if "RecordingStateChanged" in e["type"]]
        assert states == ["active", "inactive"]

        def file_event() -> dict[str, Any] | None:
            kinds = [r["body"][0] for r in stack.event_grid.requests]
            return next((e for e in kinds if e["eventType"].endswith(".RecordingFileStatusUpdated")), None)

        published = stack.wait_for(file_event, "RecordingFileStatusUpdated on Event Grid")
        assert published["subject"].endswith(f"/recordingId/{state.recording_id}")
        chunk = published["data"]["recordingStorageInfo"]["recordingChunks"][0]
        assert published["data"]["sessionEndReason"] == "CallEnded" and chunk["index"] == 0
        download = stack.control("GET", chunk["contentLocation"].removeprefix(stack.base))
        assert download.status_code == 200 and download.content[:4] == b"RIFF"


def test_espeak_voice_speaks_the_caller_script_into_the_media_stream(tmp_path: Path) -> None:
    with running_stack(tmp_path, voice="espeak") as stack:
        call_id, event = ring(stack, script=[{"say": "I would like to check my bill"}])
        answer(stack, event)
        stack.wait_for_event(call_id, "CallDisconnected")
        spoken = [m for m in stack.bridge.messages if m["kind"] == "AudioData" and not m["audioData"]["silent"]]
        assert len(spoken) > 50  # over a second of synthetic speech

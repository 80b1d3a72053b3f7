"""The Realtime simulator over WebRTC, driven by an aiortc peer the way a browser drives Azure.

SDP offer posted to `/openai/v1/realtime/calls` with an ephemeral key, GA events on the `oai-events`
data channel, the agent's voice as a 48 kHz Opus track and the caller's microphone as a track.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from devstack.realtime import build_state, create_app
from devstack.realtime.speech import tone_voice
from devstack.realtime.state import SimulatorState
from devstack.realtime.webrtc import FILTERED_EVENTS
from devstack.realtime.webrtc_audio import AgentVoiceTrack
from tests.devstack.realtime.harness import API_KEY
from tests.support.servers import serve_in_loop

CALLS = "/openai/v1/realtime/calls"  # as on Azure: https://<resource>.openai.azure.com/openai/v1/realtime/calls
SCENARIO = {
    "greeting": "Hello there.",
    "turns": [
        {
            "caller": "what is my balance",
            "agent": "Let me check.",
            "tool_calls": [{"name": "get_balance", "arguments": {"account": "42"}}],
            "after_tools": "Your balance is {output}.",
        }
    ],
}


def speech_like(seconds: float) -> bytes:
    """24 kHz PCM16 loud enough for the simulator's VAD (a 300 Hz tone at about -12 dBFS)."""
    t = np.arange(int(24000 * seconds)) / 24000
    return np.rint(8000 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()


def rms_dbfs(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(20 * np.log10(max(np.sqrt(np.mean(x * x)), 1e-9) / 32768))


class Microphone:
    """What the browser's microphone sends: queued 24 kHz PCM, then silence, paced in real time."""

    def __init__(self) -> None:
        self.track = AgentVoiceTrack(lambda kind, response_id: None)
        self._utterances = 0

    def say(self, pcm24: bytes) -> None:
        self._utterances += 1
        self.track.push(f"u{self._utterances}", f"u{self._utterances}", pcm24)
        self.track.finish(f"u{self._utterances}", f"u{self._utterances}")


@dataclass
class Browser:
    """An aiortc peer standing in for the browser: channel events in a queue, heard audio in a buffer."""

    pc: RTCPeerConnection
    channel: RTCDataChannel
    mic: Microphone
    events: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    seen: list[str] = field(default_factory=list)  # every event type received, in order
    heard: bytearray = field(default_factory=bytearray)  # the agent's track, as received (48 kHz mono)
    heard_rates: set[int] = field(default_factory=set)

    def send(self, event: dict[str, Any]) -> None:
        self.channel.send(json.dumps(event))

    async def next_of(self, wanted: str, limit: int = 400) -> dict[str, Any]:
        """Events until one of type `wanted` (bounded in count and in time)."""
        for _ in range(limit):
            event = await asyncio.wait_for(self.events.get(), 30)
            if event["type"] == wanted:
                return event
        raise AssertionError(f"no {wanted} within {limit} events")

    async def listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.heard_rates.add(frame.sample_rate)
            samples = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
            self.heard += samples.astype("<i2").tobytes()


@contextlib.asynccontextmanager
async def simulator(
    scenario: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[tuple[SimulatorState, str]]:
    state = build_state(API_KEY, scenario=scenario or SCENARIO, voice=options.pop("voice", tone_voice), **options)
    app = create_app(state)
    async with serve_in_loop(app) as port:
        try:
            yield state, f"http://127.0.0.1:{port}"
        finally:
            await app.state.rtc.close_all()


async def mint_key(base: str, session: dict[str, Any]) -> str:
    async with httpx.AsyncClient(base_url=base, headers={"api-key": API_KEY}) as http:
        minted = await http.post("/openai/v1/realtime/client_secrets", json={"session": session})
    assert minted.status_code == 200
    return str(minted.json()["value"])


@contextlib.asynccontextmanager
async def browser(base: str, key: str, query: str = "") -> AsyncIterator[Browser]:
    """Offer, answer, and wait for the data channel to open."""
    pc = RTCPeerConnection()
    mic = Microphone()
    pc.addTrack(mic.track)
    channel = pc.createDataChannel("oai-events")
    peer = Browser(pc, channel, mic)
    opened = asyncio.Event()
    channel.on("open", opened.set)
    channel.on(
        "message", lambda text: (peer.seen.append(json.loads(text)["type"]), peer.events.put_nowait(json.loads(text)))
    )
    listeners: list[asyncio.Task[None]] = []
    pc.on("track", lambda track: listeners.append(asyncio.ensure_future(peer.listen(track))))
    try:
        await pc.setLocalDescription(await pc.createOffer())
        async with httpx.AsyncClient(base_url=base) as http:
            answer = await http.post(
                CALLS + query,
                content=pc.localDescription.sdp,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"},
            )
        assert answer.status_code == 201, answer.text
        assert answer.headers["content-type"].startswith("application/sdp")
        assert answer.headers["location"].startswith(CALLS + "/rtc_")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.text, type="answer"))
        await asyncio.wait_for(opened.wait(), 30)
        yield peer
    finally:
        await pc.close()
        for task in listeners:
            task.cancel()


async def test_an_ephemeral_key_opens_a_webrtc_session_configured_from_its_client_secret() -> None:
    async with simulator() as (state, base):
        key = await mint_key(base, {"type": "realtime", "model": "gpt-realtime", "instructions": "Be brief."})
        async with browser(base, key) as peer:
            created = await peer.next_of("session.created")
            assert created["session"]["instructions"] == "Be brief."
            assert created["session"]["model"] == "gpt-realtime"
            peer.send({"type": "session.update", "session": {"type": "realtime", "instructions": "Be kind."}})
            assert (await peer.next_of("session.updated"))["session"]["instructions"] == "Be kind."
        assert state.received_types == ["session.update"]


async def test_webrtcfilter_on_sends_the_browser_only_the_events_azure_lists() -> None:
    key_session = {"type": "realtime", "instructions": "Secret instructions."}
    async with (
        simulator() as (_, base),
        browser(base, await mint_key(base, key_session), "?webrtcfilter=on") as peer,
    ):
        peer.send({"type": "response.create"})
        assert (await peer.next_of("response.output_audio_transcript.done"))["transcript"] == "Hello there."
        await peer.next_of("output_audio_buffer.stopped")
        assert set(peer.seen) <= FILTERED_EVENTS
        assert "response.output_audio_transcript.delta" in peer.seen and "session.created" not in peer.seen


async def test_agent_speech_arrives_as_a_48khz_track_and_never_as_audio_deltas() -> None:
    async with simulator() as (_, base), browser(base, await mint_key(base, {"type": "realtime"})) as peer:
        peer.send({"type": "response.create"})
        started = await peer.next_of("output_audio_buffer.started")
        done = await peer.next_of("response.done")
        assert done["response"]["status"] == "completed" and started["response_id"] == done["response"]["id"]
        transcript = done["response"]["output"][0]["content"][0]["transcript"]
        assert transcript == "Hello there."
        stopped = await peer.next_of("output_audio_buffer.stopped")
        assert stopped["response_id"] == done["response"]["id"]
        assert "response.output_audio.delta" not in peer.seen
        assert peer.seen.index("response.output_audio_transcript.done") < peer.seen.index("response.done")
        # The greeting (tone voice: 60 ms per character) was played whole at 48 kHz.
        assert peer.heard_rates == {48000}
        voiced = [rms_dbfs(bytes(peer.heard[i : i + 1920])) > -30 for i in range(0, len(peer.heard) - 1920, 1920)]
        assert sum(voiced) * 20 >= 0.8 * 60 * len("Hello there.")


async def test_the_microphone_track_drives_server_vad_tool_calls_and_the_next_turn() -> None:
    # No prefix padding: audio_start_ms (which includes it, as on the service) is where the tone began.
    no_padding = {
        "type": "realtime",
        "audio": {"input": {"turn_detection": {"type": "server_vad", "prefix_padding_ms": 0}}},
    }
    async with simulator() as (state, base), browser(base, await mint_key(base, no_padding)) as peer:
        await peer.next_of("session.created")
        peer.mic.say(speech_like(0.8))
        started = await peer.next_of("input_audio_buffer.speech_started")
        stopped = await peer.next_of("input_audio_buffer.speech_stopped")
        # Positions are in the audio the engine heard: the 0.8 s tone, give or take the 20 ms VAD windows.
        assert 740 <= stopped["audio_end_ms"] - started["audio_start_ms"] <= 860
        assert stopped["item_id"] == started["item_id"]
        call = await peer.next_of("response.function_call_arguments.done")
        assert call["name"] == "get_balance" and json.loads(call["arguments"]) == {"account": "42"}
        await peer.next_of("response.done")
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": '{"balance": 12}'}
        peer.send({"type": "conversation.item.create", "item": output})
        peer.send({"type": "response.create"})
        done = await peer.next_of("response.done")
        assert done["response"]["output"][0]["content"][0]["transcript"] == "Your balance is balance 12."
        heard = bytes(state.conversations[-1].input_audio)
        assert rms_dbfs(heard) > -40  # the tone came through Opus and the resampler


async def test_caller_barge_in_clears_the_agent_audio_and_truncates_to_what_was_played() -> None:
    long_greeting = {"greeting": "This greeting goes on and on so that the caller has time to interrupt it."}
    async with simulator(long_greeting, speedup=20.0) as (state, base):
        async with browser(base, await mint_key(base, {"type": "realtime"})) as peer:
            peer.send({"type": "response.create"})
            await peer.next_of("output_audio_buffer.started")
            done = await peer.next_of("response.done")  # sent fast; the track is still playing it
            peer.mic.say(speech_like(0.5))
            await peer.next_of("input_audio_buffer.speech_started")
            cleared = await peer.next_of("output_audio_buffer.cleared")
            truncated = await peer.next_of("conversation.item.truncated")
        assert cleared["response_id"] == done["response"]["id"]
        item = state.conversations[-1].items[truncated["item_id"]]
        assert 0 < truncated["audio_end_ms"] < len(item.audio) // 48
        assert "output_audio_buffer.stopped" not in peer.seen


async def test_output_audio_buffer_clear_cuts_the_agent_off() -> None:
    long_greeting = {"greeting": "Another long greeting that the client decides to cut off before the end."}
    async with (
        simulator(long_greeting, speedup=20.0) as (_, base),
        browser(base, await mint_key(base, {"type": "realtime"})) as peer,
    ):
        peer.send({"type": "response.create"})
        started = await peer.next_of("output_audio_buffer.started")
        peer.send({"type": "output_audio_buffer.clear"})
        cleared = await peer.next_of("output_audio_buffer.cleared")
        assert cleared["response_id"] == started["response_id"]
        assert "output_audio_buffer.stopped" not in peer.seen


async def test_malformed_channel_events_get_error_events_and_the_session_goes_on() -> None:
    async with simulator() as (_, base), browser(base, await mint_key(base, {"type": "realtime"})) as peer:
        peer.channel.send("not json")
        assert (await peer.next_of("error"))["error"]["code"] == "invalid_json"
        peer.send({"type": "response.cancel"})
        assert (await peer.next_of("error"))["error"]["code"] == "response_cancel_not_active"
        peer.send({"type": "response.create"})
        assert (await peer.next_of("response.done"))["response"]["status"] == "completed"


async def test_bad_offers_and_keys_get_clear_json_errors() -> None:
    async with simulator() as (state, base), httpx.AsyncClient(base_url=base) as http:
        key = await mint_key(base, {"type": "realtime"})
        sdp = {"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"}
        no_key = await http.post(CALLS, content="v=0\r\n", headers={"Content-Type": "application/sdp"})
        wrong_key = await http.post(CALLS, content="v=0\r\n", headers={**sdp, "Authorization": "Bearer ek_nope"})
        as_json = await http.post(CALLS, json={"sdp": "v=0"}, headers={"Authorization": f"Bearer {key}"})
        not_sdp = await http.post(CALLS, content="hello", headers=sdp)
        broken = await http.post(CALLS, content="v=0\r\nm=audio nonsense\r\n", headers=sdp)
        huge = await http.post(CALLS, content="v=0\r\n" + "a=x\r\n" * 20000, headers=sdp)
        unknown = await http.post(CALLS + "/rtc_missing/hangup", headers={"api-key": API_KEY})
        state.ephemeral_keys[key] = 0  # expired
        expired = await http.post(CALLS, content="v=0\r\n", headers=sdp)
    for response, status, code in [
        (no_key, 401, "invalid_api_key"),
        (wrong_key, 401, "invalid_api_key"),
        (as_json, 415, "unsupported_media_type"),
        (not_sdp, 400, "invalid_offer"),
        (broken, 400, "invalid_offer"),
        (huge, 413, "offer_too_large"),
        (unknown, 404, "call_not_found"),
        (expired, 401, "invalid_api_key"),
    ]:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    assert state.conversations == []


async def test_hang_up_and_dropped_sessions_close_the_peer() -> None:
    async with simulator() as (state, base):
        async with browser(base, await mint_key(base, {"type": "realtime"})) as peer:
            await peer.next_of("session.created")
            closed = asyncio.Event()
            peer.channel.on("close", closed.set)
            assert await state.drop_sessions() == 1
            await asyncio.wait_for(closed.wait(), 30)
            assert state.conversations[-1].closed
        async with browser(base, await mint_key(base, {"type": "realtime"})) as peer:
            closed = asyncio.Event()
            peer.channel.on("close", closed.set)
            async with httpx.AsyncClient(base_url=base, headers={"api-key": API_KEY}) as http:
                (call,) = state.sockets.values()
                assert (await http.post(f"{CALLS}/{call.id}/hangup")).status_code == 200
            await asyncio.wait_for(closed.wait(), 30)
        assert state.sockets == {}


async def test_offline_assistant_answers_speech_heard_through_the_microphone_track() -> None:
    from devstack.realtime.speech import espeak_voice

    # A demo tool the offline assistant knows (it picks tools by the domain's cues), with no required argument.
    tools = [{"type": "function", "name": "get_account_balance", "description": "account balance", "parameters": {}}]
    async with simulator(assistant=True, voice=espeak_voice) as (state, base):
        key = await mint_key(base, {"type": "realtime", "tools": tools})
        async with browser(base, key) as peer:
            await peer.next_of("session.created")
            peer.mic.say(espeak_voice("Please check my account balance."))
            await peer.next_of("input_audio_buffer.speech_stopped")
            response = await peer.next_of("response.done")
        heard = next(i.text for i in state.conversations[-1].items.values() if i.role == "user")
        # PocketSphinx heard "balance" through Opus and the resamplers, so the assistant picked the tool.
        assert "balance" in heard.split()
        calls = [o["name"] for o in response["response"]["output"] if o["type"] == "function_call"]
        assert calls == ["get_account_balance"]

"""WebRTC transport of the Realtime simulator: `POST /openai/v1/realtime/calls`, the browser's path.

As on Azure OpenAI (GA): the browser posts its SDP offer with `Content-Type: application/sdp` and
`Authorization: Bearer <ephemeral key>` minted by `client_secrets`; the answer comes back `201
Created` as `application/sdp`, with a `Location` naming the call. The session starts from the
configuration the key was minted with; `session.update` changes it as on the WebSocket.

`?webrtcfilter=on` (documented by Azure for browser clients) limits the channel to the events Azure
lists (speech, playback, transcripts, items added), so the browser never sees the instructions.

Events travel on the `oai-events` data channel: the same GA events as on the WebSocket, except that
audio is media. The agent's voice is an Opus track (so `response.output_audio.delta` never reaches the
channel) and the microphone track feeds the engine's server VAD. WebRTC-only events, as the service
sends them: `output_audio_buffer.started` / `.stopped` around the playback of a response, and
`output_audio_buffer.cleared` when the caller barges in or the client sends `output_audio_buffer.clear`
(the item is then truncated to what was actually played).

ICE: the simulator offers one host candidate, 127.0.0.1 (aioice would offer every interface), so it
stays on loopback; a browser on the same machine reaches it from any of its own addresses.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from typing import Any

import aioice.ice
from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devstack.realtime.conversation import Conversation
from devstack.realtime.protocol import ClientEventError, error_event, new_id, parse_client_event
from devstack.realtime.state import SimulatorState
from devstack.realtime.webrtc_audio import AgentVoiceTrack, CallerAudio

log = logging.getLogger("devstack.realtime.webrtc")

DATA_CHANNEL = "oai-events"
# With `?webrtcfilter=on` on the offer's URL, Azure sends the browser only these events, keeping the
# session's instructions and tool traffic private (Azure OpenAI "Use the GPT Realtime API via WebRTC").
FILTERED_EVENTS = frozenset(
    {
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "output_audio_buffer.started",
        "output_audio_buffer.stopped",
        "conversation.item.input_audio_transcription.completed",
        "conversation.item.added",
        "conversation.item.created",
        "response.output_text.delta",
        "response.output_text.done",
        "response.output_audio_transcript.delta",
        "response.output_audio_transcript.done",
    }
)
MAX_OFFER_BYTES = 64 * 1024  # browser offers are a few kB
OPEN_TIMEOUT_SECONDS = 30.0  # a peer that never opens its data channel is dropped


def _loopback_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return ["127.0.0.1"] if use_ipv4 else []


# aioice has no option to choose interfaces; its gatherer looks this function up at call time.
aioice.ice.get_host_addresses = _loopback_host_addresses


def _error(status: int, code: str, message: str) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse({"error": {"type": kind, "code": code, "message": message, "param": None}}, status_code=status)


class RtcCall:
    """One WebRTC session: the peer connection, its data channel and tracks, and the conversation."""

    def __init__(
        self, call_id: str, state: SimulatorState, calls: RtcCalls, session: dict[str, Any], *, filtered: bool = False
    ) -> None:
        self.id = call_id
        self._filtered = filtered  # `webrtcfilter=on`: only FILTERED_EVENTS reach the data channel
        self._state = state
        self._calls = calls
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.voice = AgentVoiceTrack(self._playback)
        model = str(session.get("model") or "gpt-realtime")
        self.conversation = Conversation(
            state.make_agent(),
            state.voice,
            self._emit,
            model=model,
            speedup=state.speedup,
            session=session,
            late_transcription=state.transcription_is_late,
        )
        self._channel: RTCDataChannel | None = None  # set when the browser's `oai-events` channel arrives
        self._outbox: list[str] = []  # events emitted before the channel opened
        self._incoming: asyncio.Queue[str | bytes] = asyncio.Queue()  # channel messages, handled in order
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    async def answer(self, offer: str) -> str:
        """Apply the browser's offer; returns the SDP answer (with its ICE candidates).

        Raises:
            ValueError: the offer cannot be negotiated.
        """
        pc = self.pc
        pc.on("datachannel", self._on_datachannel)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_connection_state)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            if any(t.kind == "audio" for t in pc.getTransceivers()):
                pc.addTrack(self.voice)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # aiortc raises assorted types on offers it cannot handle
            raise ValueError(str(exc) or type(exc).__name__) from exc
        self._spawn(self._handle_incoming())
        self._spawn(self._watch_open())
        await self.conversation.start()
        return str(pc.localDescription.sdp)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """End the session (hang-up, peer gone, or `SimulatorState.drop_sessions`)."""
        if self.closed:
            return
        self.closed = True
        log.info("webrtc call %s closed (%s %s)", self.id, code, reason)
        self._calls.calls.pop(self.id, None)
        self._state.sockets.pop(id(self.conversation), None)
        await self.conversation.close()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        self.voice.stop()
        await self.pc.close()

    # --- peer connection events ----------------------------------------------------------------

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != DATA_CHANNEL or self._channel is not None:
            channel.close()
            return
        self._channel = channel
        channel.on("message", self._incoming.put_nowait)
        channel.on("close", lambda: self._spawn(self.close(1000, "data channel closed")))
        for text in self._outbox:
            channel.send(text)
        self._outbox.clear()

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(self._hear(track))

    async def _on_connection_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            await self.close(1001, f"peer connection {self.pc.connectionState}")

    # --- the two directions --------------------------------------------------------------------

    async def _hear(self, track: MediaStreamTrack) -> None:
        """The microphone, as 24 kHz PCM appended to the input buffer (server VAD takes it from there)."""
        audio = CallerAudio()
        while not self.closed:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, AudioFrame):
                continue  # an audio track yields audio frames; anything else is not ours to convert
            pcm = audio.convert(frame)
            if pcm:
                event = {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}
                await self.conversation.handle(event)

    async def _handle_incoming(self) -> None:
        while True:
            message = await self._incoming.get()
            try:
                event = parse_client_event(message)
            except ClientEventError as exc:
                await self._emit(error_event(exc))
                continue
            self._state.received_types.append(event["type"])
            if event["type"] == "output_audio_buffer.clear":
                await self._cut_off()
            else:
                await self.conversation.handle(event)

    async def _emit(self, event: dict[str, Any]) -> None:
        """Route one server event: audio to the track, everything else to the data channel."""
        kind = event["type"]
        if kind == "response.output_audio.delta":
            self.voice.push(event["response_id"], event["item_id"], base64.b64decode(event["delta"]))
            return
        self._send(event)
        if kind == "response.output_audio.done":
            self.voice.finish(event["response_id"], event["item_id"])
        elif kind == "response.done":
            self.voice.end_response(event["response"]["id"])
        elif kind == "input_audio_buffer.speech_started":
            detection = self.conversation.session["audio"]["input"].get("turn_detection") or {}
            if detection.get("interrupt_response", True):
                await self._cut_off()

    async def _cut_off(self) -> None:
        """Stop the agent's audio now; truncate the item to what the caller heard."""
        cut = self.voice.clear()
        if cut is None:
            return
        response_id, item_id = cut
        self._send({"type": "output_audio_buffer.cleared", "event_id": new_id("event"), "response_id": response_id})
        played = self.voice.played_ms.get(item_id, 0)
        truncate = {"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0}
        await self.conversation.handle({**truncate, "audio_end_ms": played})

    def _playback(self, kind: str, response_id: str) -> None:
        self._send({"type": f"output_audio_buffer.{kind}", "event_id": new_id("event"), "response_id": response_id})

    def _send(self, event: dict[str, Any]) -> None:
        if self._filtered and event["type"] not in FILTERED_EVENTS:
            return
        text = json.dumps(event)
        if self._channel is not None and self._channel.readyState == "open":
            self._channel.send(text)
        elif not self.closed:
            self._outbox.append(text)

    async def _watch_open(self) -> None:
        await asyncio.sleep(OPEN_TIMEOUT_SECONDS)
        if self._channel is None:
            await self.close(1001, "the data channel never opened")

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class RtcCalls:
    """The live WebRTC sessions of one simulator app (`app.state.rtc`)."""

    def __init__(self) -> None:
        self.calls: dict[str, RtcCall] = {}

    async def close_all(self) -> None:
        for call in list(self.calls.values()):
            await call.close(1001, "simulator shutting down")


async def create_call(request: Request) -> Response:
    """`POST /openai/v1/realtime/calls`: SDP offer in, SDP answer out."""
    state: SimulatorState = request.app.state.simulator
    if not state.authorize(request.headers):
        return _error(401, "invalid_api_key", "Access denied due to invalid api-key or bearer token.")
    if state.refuse_connections:
        return _error(503, "service_unavailable", "The simulator is refusing new sessions.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/sdp":
        return _error(415, "unsupported_media_type", "Send the SDP offer with 'Content-Type: application/sdp'.")
    body = await request.body()
    if len(body) > MAX_OFFER_BYTES:
        return _error(413, "offer_too_large", f"The SDP offer is larger than {MAX_OFFER_BYTES} bytes.")
    offer = body.decode("utf-8", errors="replace")
    if not offer.startswith("v=0"):
        return _error(400, "invalid_offer", "The body is not an SDP offer (it must start with 'v=0').")
    token = request.headers.get("authorization", "")[7:].strip()
    session = dict(state.ephemeral_sessions.get(token) or {})
    if not session and request.query_params.get("model"):
        session["model"] = request.query_params["model"]
    calls: RtcCalls = request.app.state.rtc
    filtered = request.query_params.get("webrtcfilter", "off").lower() == "on"
    call = RtcCall(new_id("rtc"), state, calls, session, filtered=filtered)
    try:
        answer = await call.answer(offer)
    except ValueError as exc:
        await call.close(1000, "offer refused")
        return _error(400, "invalid_offer", f"The SDP offer cannot be negotiated: {exc}")
    calls.calls[call.id] = call
    state.conversations.append(call.conversation)
    state.sockets[id(call.conversation)] = call
    log.info("webrtc call %s answered (model %s)", call.id, call.conversation.session.get("model"))
    headers = {"Location": f"/openai/v1/realtime/calls/{call.id}"}
    return Response(answer, status_code=201, media_type="application/sdp", headers=headers)


async def hang_up(request: Request) -> Response:
    """`POST /openai/v1/realtime/calls/{call_id}/hangup`: end a WebRTC session from the server side."""
    state: SimulatorState = request.app.state.simulator
    if not state.authorize(request.headers):
        return _error(401, "invalid_api_key", "Access denied due to invalid api-key or bearer token.")
    calls: RtcCalls = request.app.state.rtc
    call = calls.calls.get(request.path_params["call_id"])
    if call is None:
        return _error(404, "call_not_found", "No live call has this id.")
    await call.close(1000, "hung up")
    return Response(status_code=200)


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> Any:
    """Close live peer connections when the server stops."""
    yield
    await app.state.rtc.close_all()

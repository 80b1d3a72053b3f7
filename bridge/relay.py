"""The relay of one call: ACS media <-> Realtime session.

`CallRelay.run` owns a call from handshake to teardown. Each socket hands its messages to a handler
(`_on_acs_message`, `_on_model_message`) that parses them through the codecs, dispatches on the
event class and writes, without a task switch per message (`bridge/websocket.py`, on picows); small tasks only
watch for a socket closing, the call's limits, tool calls and event batches. Whatever ends the call
(hang-up, model failure, limits, drain, a crash) goes through `finish`, and teardown always closes
the model session first (it is billed), then the media socket, then flushes the call's events.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bridge import acs_protocol as acs
from bridge import realtime_protocol as rt
from bridge import telemetry
from bridge.contract import EventType, NoticeType, ToolControl
from bridge.events import (
    AgentAudio,
    AgentAudioDone,
    AgentTranscript,
    CallerAudio,
    CallerDtmf,
    CallerTranscript,
    CallerTranscriptFailed,
    MediaStarted,
    ModelError,
    ModelEvent,
    ResponseDone,
    ResponseStarted,
    SpeechStarted,
    ToolCallRequested,
)
from bridge.function_app_client import EventBatcher, FunctionAppClient, FunctionAppError
from bridge.metrics import BridgeMetrics
from bridge.model_connection import ModelConnectError, ModelConnector
from bridge.pacer import Pacer
from bridge.playback import MODEL_RATE, Playback
from bridge.resample import Resampler
from bridge.session import AgentConfig, CallSession, CallState, EndReason
from bridge.settings import BridgeSettings
from bridge.telemetry import BridgeTelemetry
from bridge.transcript import AgentTranscripts
from bridge.websocket import CloseCode, ConnectionClosed, Message, PushConnection

log = logging.getLogger("bridge.relay")

_MAX_RECONNECTS_PER_CALL = 3
# How long a finished call keeps retrying its last events while the function app is unreachable.
_FINAL_FLUSH_SECONDS = 60.0
_CALL_ENDED_OUTPUT = json.dumps({"error": {"code": "call_ended", "message": "the call ended before the tool answered"}})
_RECONNECT_INSTRUCTIONS = "The line dropped for a moment. Apologise briefly and carry on helping the caller."
# The socket layer closed the media socket itself (a bad frame, a caller not reading): why the call ended.
_REFUSED_FRAMES = {
    CloseCode.MESSAGE_TOO_BIG: "frame too big",
    CloseCode.INVALID_DATA: "invalid UTF-8",
    CloseCode.PROTOCOL_ERROR: "WebSocket protocol error",
    CloseCode.POLICY_VIOLATION: "caller not reading",
}


class CallLog(logging.LoggerAdapter[logging.Logger]):
    """Prefixes every line with the call id and adds it as a structured field."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        call_id = (self.extra or {}).get("call_id", "")
        kwargs.setdefault("extra", {})["call_id"] = call_id
        return f"call {call_id}: {msg}", kwargs


@dataclass(frozen=True)
class RelayDeps:
    """What every call shares: settings, the function app client, the model connector, metrics, the pacer."""

    settings: BridgeSettings
    function_app: FunctionAppClient
    connector: ModelConnector
    metrics: BridgeMetrics
    pacer: Pacer
    telemetry: BridgeTelemetry  # OpenTelemetry mirror of the metrics (no-op without an exporter)


class CallRelay:
    """Relays one call's audio and events until the call ends."""

    def __init__(self, acs_socket: PushConnection, call_id: str, deps: RelayDeps) -> None:
        self.session = CallSession(call_id=call_id)
        self._acs = acs_socket
        self._deps = deps
        self._log = CallLog(log, {"call_id": call_id})
        self._events = EventBatcher(
            deps.function_app, call_id, deps.settings.event_flush_seconds, on_notices=self._handle_notices
        )
        self._model: PushConnection | None = None
        self._model_generation = 0  # bumps on reconnect; tool results of an old session are not sent
        self._reconnects = 0
        self._playback: Playback | None = None
        self._agent_lines = AgentTranscripts(self._record_agent_line)  # what the caller heard of each reply
        self._uplink: Resampler | None = None  # 16 kHz -> 24 kHz; None on the 24 kHz path
        self._silence_b64 = ""
        self._ended = asyncio.Event()
        self._close: tuple[CloseCode, str] = (CloseCode.NORMAL_CLOSURE, "call ended")
        self._tasks: list[asyncio.Task[None]] = []
        # The call's context (its trace span), for tool tasks started from socket callbacks, which
        # run in the server's context rather than the call's.
        self._context = contextvars.copy_context()

    # --- lifecycle ----------------------------------------------------------------------------

    def finish(self, reason: EndReason, code: CloseCode, text: str) -> None:
        """End the call (first reason wins); `run` tears down once this is set."""
        if self.session.end(reason):
            self._close = (code, text)
            self._ended.set()

    async def run(self) -> None:
        """Run the call to its end. Never raises; always releases the model session and the socket."""
        with telemetry.call_span(self.session.call_id):  # the call's tasks and requests inherit it
            self._context = contextvars.copy_context()
            await self._run()

    async def _run(self) -> None:
        try:
            await self._start()
            if not self._ended.is_set():
                self.session.transition(CallState.ACTIVE)
                assert self._model is not None
                self._model.set_handler(self._on_model_message)
                self._acs.set_handler(self._on_acs_message)  # audio that arrived meanwhile goes first
                for loop in (self._watch_acs, self._watch_model, self._watch_limits):
                    self._spawn(loop)
                self._spawn(self._events.run)
            await self._ended.wait()
        except Exception:
            self._log.exception("relay crashed")
            self.finish(EndReason.BRIDGE_ERROR, CloseCode.INTERNAL_ERROR, "bridge error")
        finally:
            await self._teardown()

    def _spawn(self, loop: Callable[[], Awaitable[None]]) -> None:
        async def guarded() -> None:
            try:
                await loop()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.exception("%s crashed", loop.__name__)
                self.finish(EndReason.BRIDGE_ERROR, CloseCode.INTERNAL_ERROR, "bridge error")

        self._tasks.append(asyncio.create_task(guarded(), name=f"{self.session.call_id}:{loop.__name__}"))

    async def _start(self) -> None:
        """Wait for AudioMetadata, fetch the agent, open and configure the model session."""
        media = await self._await_metadata()
        if media is None:
            return
        self.session.sample_rate = media.sample_rate
        self.session.transition(CallState.CONNECTING)
        if media.sample_rate != MODEL_RATE:
            self._uplink = Resampler(media.sample_rate, MODEL_RATE)
        self._silence_b64 = base64.b64encode(bytes(acs.frame_bytes(media.sample_rate))).decode()
        self._playback = Playback(
            self._write_acs,
            media.sample_rate,
            on_frame=self._count_frame_out,
            on_item_sent=self._agent_lines.played_out,
        )
        try:
            self.session.agent = await self._deps.function_app.get_agent(self.session.call_id)
        except FunctionAppError as exc:
            self._log.warning("no agent configuration: %s", exc)
            if exc.status == 404:
                self.finish(EndReason.PROTOCOL_ERROR, CloseCode.POLICY_VIOLATION, "unknown call")
            else:
                self.finish(EndReason.BRIDGE_ERROR, CloseCode.INTERNAL_ERROR, "agent configuration unavailable")
            return
        try:
            self._model = await self._deps.connector.open(self.session.agent.backend, self.session.agent.model)
        except ModelConnectError as exc:
            self._log.error("model session could not be opened: %s", exc)
            self._events.add(EventType.MODEL_FAILED, reason=f"connect failed: {exc}")
            self.finish(EndReason.MODEL_CLOSED, CloseCode.INTERNAL_ERROR, "model unavailable")
            return
        if not self._configure_model(greet=True):
            self._events.add(EventType.MODEL_FAILED, reason="model closed during set-up")
            self.finish(EndReason.MODEL_CLOSED, CloseCode.INTERNAL_ERROR, "model unavailable")
            return
        self._log.info("connected: agent=%s rate=%d", self.session.agent.agent, media.sample_rate)

    async def _await_metadata(self) -> MediaStarted | None:
        """The first known frame must be AudioMetadata, within the idle timeout."""
        deadline = time.monotonic() + self._deps.settings.idle_timeout_seconds
        while True:
            try:
                message = await asyncio.wait_for(self._acs.receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                self.finish(EndReason.PROTOCOL_ERROR, CloseCode.POLICY_VIOLATION, "no AudioMetadata received")
                return None
            except ConnectionClosed:
                self.finish(EndReason.CALLER_HUNG_UP, CloseCode.NORMAL_CLOSURE, "caller hung up")
                return None
            event = self._parse_acs(message)
            if isinstance(event, MediaStarted):
                return event
            if event is not None or self._ended.is_set():
                self.finish(EndReason.PROTOCOL_ERROR, CloseCode.POLICY_VIOLATION, "AudioMetadata must come first")
                return None

    def _configure_model(self, *, greet: bool) -> bool:
        """Send the agent's session; greet on a new call, restore context after a reconnect.

        False when the model connection is already closed (nothing more was sent).
        """
        model, agent = self._model, self.session.agent
        assert model is not None and agent is not None
        messages = [rt.session_update(agent.session)]
        if greet:
            messages.append(rt.response_create(rt.greeting_instructions(agent.greeting) if agent.greeting else None))
        else:
            for role, text in self.session.history:
                messages.append(rt.user_text(text) if role == "caller" else rt.assistant_text(text))
            messages.append(rt.response_create(_RECONNECT_INSTRUCTIONS))
        if not all(model.send_now(message) for message in messages):
            return False
        self.session.response_active = True
        return True

    async def _teardown(self) -> None:
        session = self.session
        if session.state is not CallState.ENDING:
            session.transition(CallState.ENDING)
        reason = session.end_reason or EndReason.BRIDGE_ERROR
        for task in [*self._tasks, *session.tool_tasks.values()]:
            task.cancel()  # pending tool calls of an ended call are cancelled
        await asyncio.gather(*self._tasks, *session.tool_tasks.values(), return_exceptions=True)
        if self._playback is not None:
            self._deps.pacer.discard(self._playback)
            self._agent_lines.flush(self._playback.played_ms)  # a reply cut by the hang-up, as far as heard
        if self._model is not None:
            await self._model.close()  # first: the model session is billed while open
        code, text = self._close
        await self._acs.close(code, text)
        self._log.info("ended: %s (close %d %s)", reason.value, code, code.name)
        self._deps.telemetry.calls_ended.add(1, {"reason": reason.value})
        self._events.add(EventType.MEDIA_ENDED, reason=reason.value)
        if not await self._events.flush_until_delivered(_FINAL_FLUSH_SECONDS):
            self._log.error("%d final events not delivered within %.0f s", self._events.pending, _FINAL_FLUSH_SECONDS)
        session.transition(CallState.ENDED)

    # --- caller side --------------------------------------------------------------------------

    def _parse_acs(self, message: Message) -> Any:
        if isinstance(message, bytes):
            self.finish(EndReason.PROTOCOL_ERROR, CloseCode.UNSUPPORTED_DATA, "binary frames are not supported")
            return None
        try:
            return acs.parse_acs_message(message)
        except acs.AcsProtocolError as exc:
            self._log.warning("malformed media frame: %s", exc)
            self.finish(EndReason.PROTOCOL_ERROR, CloseCode.POLICY_VIOLATION, f"malformed frame: {exc}"[:120])
            return None

    def _on_acs_message(self, message: Message) -> None:
        """Every ACS message once the call is active, straight from the socket (no task switch)."""
        if self._ended.is_set():
            return  # the call is ending: what ACS still sends is not relayed
        try:
            event = self._parse_acs(message)
            if isinstance(event, CallerAudio):
                self._handle_caller_audio(event)
            elif isinstance(event, CallerDtmf):
                self._handle_caller_dtmf(event)
        except Exception:
            self._log.exception("caller message handling crashed")
            self.finish(EndReason.BRIDGE_ERROR, CloseCode.INTERNAL_ERROR, "bridge error")

    async def _watch_acs(self) -> None:
        """The media socket closed: the caller hung up, or the socket layer refused a frame or a stalled reader."""
        await self._acs.wait_closed()
        code = self._acs.close_sent_code
        if code is not None and code in _REFUSED_FRAMES:
            self.finish(EndReason.PROTOCOL_ERROR, code, _REFUSED_FRAMES[code])
        else:
            self.finish(EndReason.CALLER_HUNG_UP, CloseCode.NORMAL_CLOSURE, "caller hung up")

    def _handle_caller_audio(self, event: CallerAudio) -> None:
        started = time.perf_counter()
        self.session.last_caller_frame_at = time.monotonic()
        audio = event.audio_b64 or self._silence_b64
        if self._uplink is not None:
            audio = base64.b64encode(self._uplink.process(base64.b64decode(audio))).decode("ascii")
        self._send_model(rt.append_audio(audio))
        metrics = self._deps.metrics
        metrics.frames_in += 1
        elapsed = time.perf_counter() - started
        metrics.relay_latency.observe(elapsed)
        if metrics.frames_in % telemetry.RELAY_SAMPLE_EVERY == 0:
            self._deps.telemetry.relay_latency.record(elapsed)

    def _handle_caller_dtmf(self, event: CallerDtmf) -> None:
        self._events.add(EventType.DTMF, digit=event.digit)
        self._send_model(rt.user_text(f"[The caller pressed the {event.digit} key on the keypad.]"))
        self.session.needs_response = True
        self._request_response_if_due()

    # --- model side ---------------------------------------------------------------------------

    def _on_model_message(self, message: Message) -> None:
        """Every model event, straight from the socket (no task switch)."""
        if self._ended.is_set():
            return  # the call is ending: the session is about to be closed
        try:
            agent = self.session.agent
            event = rt.parse_server_event(message, voice_live=agent is not None and agent.backend == "voice-live")
        except rt.RealtimeProtocolError as exc:
            self._log.warning("unusable model event: %s", exc)
            return
        try:
            if event is not None:
                self._handle_model_event(event)
        except Exception:
            self._log.exception("model event handling crashed")
            self.finish(EndReason.BRIDGE_ERROR, CloseCode.INTERNAL_ERROR, "bridge error")

    async def _watch_model(self) -> None:
        """The model connection closed: reconnect while the call is live, else report the failure."""
        while True:
            model = self._model
            assert model is not None
            await model.wait_closed()
            if not self.session.is_live or self._ended.is_set():
                return
            self._log.warning("model connection lost (close code %s)", model.close_code)
            if not await self._reconnect():
                self._events.add(EventType.MODEL_FAILED, reason="model connection lost; reconnect failed")
                self.finish(EndReason.MODEL_CLOSED, CloseCode.INTERNAL_ERROR, "model unavailable")
                return

    async def _reconnect(self) -> bool:
        """One attempt to re-open the model session with the same configuration and context."""
        if self._reconnects >= _MAX_RECONNECTS_PER_CALL:
            return False
        self._reconnects += 1
        self.session.transition(CallState.RECONNECTING)
        self._model_generation += 1
        self.session.response_active = False
        self.session.needs_response = False
        if self._playback is not None:
            self._playback.close_items()
            self._deps.pacer.pump(self._playback)
        agent = self.session.agent
        assert agent is not None
        try:
            self._model = await self._deps.connector.open(agent.backend, agent.model)
        except ModelConnectError as exc:
            self._log.error("model reconnect failed: %s", exc)
            return False
        if not self._configure_model(greet=False):
            self._log.error("model reconnect failed: closed during set-up")
            return False
        self._deps.metrics.model_reconnects += 1
        self.session.transition(CallState.ACTIVE)
        self._model.set_handler(self._on_model_message)
        self._log.info("model session restored")
        return True

    def _handle_model_event(self, event: ModelEvent) -> None:
        session = self.session
        playback = self._playback
        assert playback is not None
        if isinstance(event, AgentAudio):
            self._agent_lines.audio(event.item_id, len(event.audio_b64))
            playback.enqueue_b64(event.item_id, event.audio_b64)
            self._deps.pacer.pump(playback)  # what is due goes out now; the pacer sends the rest on time
        elif isinstance(event, AgentAudioDone):
            playback.finish_item(event.item_id)
            self._deps.pacer.pump(playback)
        elif isinstance(event, SpeechStarted):
            if event.item_id:  # the caller's words belong here in the record, whenever transcribed
                session.caller_places[event.item_id] = self._events.reserve()
                while len(session.caller_places) > 32:  # turns never transcribed
                    del session.caller_places[next(iter(session.caller_places))]
            self._handle_barge_in()
        elif isinstance(event, ResponseStarted):
            session.response_active = True
        elif isinstance(event, ResponseDone):
            session.response_active = False
            if event.usage:
                backend = session.agent.backend if session.agent is not None else "realtime"
                self._events.add(EventType.USAGE, usage=event.usage, backend=backend)
            self._request_response_if_due()
        elif isinstance(event, ToolCallRequested):
            self._start_tool(event)
        elif isinstance(event, CallerTranscript):
            session.remember("caller", event.text)
            place = session.caller_places.pop(event.item_id, None)
            self._events.add(EventType.TRANSCRIPT, place=place, role="caller", text=event.text)
        elif isinstance(event, CallerTranscriptFailed):
            session.caller_places.pop(event.item_id, None)
        elif isinstance(event, AgentTranscript):
            self._agent_lines.transcript(event.item_id, event.text)
        elif isinstance(event, ModelError):
            self._log.warning("model error %s: %s", event.code or event.error_type, event.message[:200])

    def _handle_barge_in(self) -> None:
        """Caller talks over the agent: stop ACS playback, drop queued audio, truncate what was unheard."""
        assert self._playback is not None
        if not self._playback.is_speaking():
            return
        cut = self._playback.interrupt()
        self._write_acs(acs.stop_audio_message())
        for item in cut:
            self._send_model(rt.truncate_item(item.item_id, item.played_ms))
            self._agent_lines.cut(item.item_id, item.played_ms)
        self._deps.metrics.barge_ins += 1
        played = cut[0].played_ms if cut else 0
        self._events.add(EventType.BARGE_IN, played_ms=played)
        self._log.info("barge-in after %d ms of agent audio", played)

    def _record_agent_line(self, text: str, heard_ms: int | None) -> None:
        """Store what the caller heard of one agent reply (all of it, or up to a barge-in)."""
        self.session.remember("agent", text)
        if heard_ms is None:
            self._events.add(EventType.TRANSCRIPT, role="agent", text=text)
        else:
            self._events.add(EventType.TRANSCRIPT, role="agent", text=text, interrupted=True, heard_ms=heard_ms)

    # --- tools --------------------------------------------------------------------------------

    def _start_tool(self, request: ToolCallRequested) -> None:
        task = asyncio.create_task(
            self._run_tool(request), name=f"{self.session.call_id}:tool:{request.name}", context=self._context
        )
        self.session.tool_tasks[request.tool_call_id] = task

    async def _run_tool(self, request: ToolCallRequested) -> None:
        generation = self._model_generation
        deps = self._deps
        started = time.monotonic()
        try:
            try:
                result = await deps.function_app.call_tool(
                    self.session.call_id,
                    request.tool_call_id,
                    request.name,
                    request.arguments,
                    deps.settings.tool_timeout_seconds,
                    backend=self.session.agent.backend if self.session.agent is not None else "realtime",
                )
            except asyncio.CancelledError:
                # The call ended first. The function app may still carry the tool out, so the record
                # keeps the attempt rather than losing it with the call.
                elapsed_ms = round((time.monotonic() - started) * 1000)
                self._report_tool(request, _CALL_ENDED_OUTPUT, ok=False, duration_ms=elapsed_ms)
                raise
            deps.metrics.tool_calls["ok" if result.ok else "error"] += 1
            deps.metrics.tool_latency.observe(result.duration_ms / 1000)
            deps.telemetry.tool_latency.record(result.duration_ms / 1000, {"tool": request.name, "ok": result.ok})
            self._report_tool(request, result.output, ok=result.ok, duration_ms=result.duration_ms)
            if generation != self._model_generation:
                self._log.info("tool %s finished after a reconnect; output not sent", request.name)
                return
            if result.session is not None:
                self._hand_off(result.session, result.agent)
            if result.ok and result.control == ToolControl.ESCALATE:
                deps.telemetry.escalations.add(1)
                self._events.poll_notices = True  # until the transfer's fate is known
            self._send_model(rt.function_call_output(request.tool_call_id, result.output))
        finally:
            self.session.tool_tasks.pop(request.tool_call_id, None)
        self.session.needs_response = True
        self._request_response_if_due()

    def _report_tool(self, request: ToolCallRequested, output: str, *, ok: bool, duration_ms: int) -> None:
        self._events.add(
            EventType.TOOL_CALL,
            name=request.name,
            arguments=_json_or_text(request.arguments),
            output=output,
            ok=ok,
            duration_ms=duration_ms,
        )

    async def _handle_notices(self, notices: list[dict[str, Any]]) -> None:
        """Tell the model what happened to the call outside the conversation (e.g. a failed transfer)."""
        self._events.poll_notices = False
        for notice in notices:
            kind = notice.get("type")
            message = str(notice.get("message") or kind or "")
            if not message or not self.session.is_live:
                continue
            self._log.info("notice from the function app: %s", kind)
            self._send_model(rt.system_text(message))
            # Coaching guides the agent's next turn; the caller never hears it, nor a reply to it.
            self.session.needs_response = self.session.needs_response or kind != NoticeType.COACH
        self._request_response_if_due()

    def _hand_off(self, new_session: dict[str, Any], agent: str | None) -> None:
        """Switch the live session to another agent's instructions and tools.

        The function app's handoff session carries no voice (docs/internal-api.md), so the call
        keeps the voice it started with; it is sent as is.
        """
        self._send_model(rt.session_update(dict(new_session)))
        if self.session.agent is not None:
            self.session.agent.session = new_session
            if agent:
                self.session.agent.agent = agent
        self._events.add(EventType.AGENT_CHANGED, agent=agent or "")
        self._log.info("handed off to agent %s", agent or "(unnamed)")

    def _request_response_if_due(self) -> None:
        if self.session.should_request_response():
            self.session.needs_response = False
            self.session.response_active = True
            self._send_model(rt.response_create())

    # --- writes -------------------------------------------------------------------------------

    def _send_model(self, text: str) -> None:
        """Write to the model at once; skipped while reconnecting (`_watch_model` handles the loss)."""
        model = self._model
        if model is not None and self.session.state is CallState.ACTIVE:
            model.send_now(text)

    def _write_acs(self, text: str) -> None:
        """Write to ACS at once; a closed socket is noticed by `_watch_acs`, which ends the call."""
        self._acs.send_now(text)

    def _count_frame_out(self) -> None:
        self._deps.metrics.frames_out += 1

    async def _watch_limits(self) -> None:
        """End the call at the maximum duration or when ACS stops sending audio."""
        settings = self._deps.settings
        agent: AgentConfig | None = self.session.agent
        limit = min(settings.max_call_seconds, agent.max_call_seconds if agent else float("inf"))
        deadline = self.session.started_at + limit
        while True:
            now = time.monotonic()
            if now >= deadline:
                self.finish(EndReason.MAX_DURATION, CloseCode.NORMAL_CLOSURE, "maximum call duration reached")
                return
            idle_at = self.session.last_caller_frame_at + settings.idle_timeout_seconds
            if now >= idle_at:
                self.finish(EndReason.IDLE, CloseCode.NORMAL_CLOSURE, "no audio from the caller")
                return
            await asyncio.sleep(min(deadline, idle_at) - now + 0.01)

    def stop(self, reason: EndReason, code: CloseCode, text: str) -> None:
        """Ask the call to end from outside (drain)."""
        self.finish(reason, code, text)


def _json_or_text(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments

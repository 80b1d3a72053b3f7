"""The ACS simulator's engine: calls, their timers, callbacks and media, behind the REST API.

`AcsSimulator` owns every `Call`. REST handlers call its operations, which validate, change
state at once and return what ACS returns; the slow parts (ringing, connecting, media, transfers,
prompts) run as per-call background tasks that send callback events in ACS's order, e.g.
CallConnected -> MediaStreamingStarted ... MediaStreamingStopped -> CallDisconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from devstack.acs import events as ev
from devstack.acs.behaviour import BehaviourBook, CalleeKind
from devstack.acs.calls import Call, CallState, Direction, IllegalTransition, Outcome, RequestError
from devstack.acs.delivery import CallbackChannel, EventGridPublisher
from devstack.acs.entra_auth import EntraVerifier
from devstack.acs.events import CallEventType, CallIds, ResultInfo
from devstack.acs.media import MediaStream, MediaStreamError
from devstack.acs.phone import Handset
from devstack.acs.script import HangUp, Say, Silence, Step, Voice, voice_named, write_wav
from devstack.acs.signing import ACS_ISSUER, CallbackSigner

# ACS's media handshake JWT lives 24 hours (callbacks' five minutes); same issuer, keys and audience.
MEDIA_TOKEN_LIFETIME_SECONDS = 24 * 3600
log = logging.getLogger("devstack.acs")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_CALLS = 1000  # oldest ended calls are forgotten beyond this


@dataclass
class SimulatorConfig:
    """Settings from the command line (see `python -m devstack.acs --help`)."""

    access_key: str
    resource_id: str
    issuer: str = ACS_ISSUER
    event_grid_url: str | None = None
    event_grid_retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    topic: str = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local"
        "/providers/Microsoft.Communication/communicationServices/local-acs"
    )
    voice: str = "espeak"
    speedup: float = 1.0
    recordings_dir: Path = field(default_factory=lambda: Path(".data/acs"))
    max_call_seconds: float = 1800.0
    inbound_ring_seconds: float = 30.0
    connect_seconds: float = 0.05  # answer -> CallConnected
    # OpenID configuration of the one token issuer whose bearer tokens are accepted (managed identity).
    trusted_token_issuer: str | None = None


def _new_server_call_id() -> str:
    return "aHR0cHM6Ly9sb2NhbC5hY3Mvc2ltdWxhdG9yL2NvbnYv" + secrets.token_urlsafe(18)


def _required_number(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not E164.match(value):
        raise RequestError(400, "invalid_number", f"'{name}' must be an E.164 number like +15551234567.")
    return value


class AcsSimulator:
    """All calls and the machinery to run them; lives for one server process."""

    def __init__(self, config: SimulatorConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.signer = CallbackSigner(config.resource_id, config.issuer)
        self.behaviours = BehaviourBook()
        self.calls: dict[str, Call] = {}
        self.voice: Voice = voice_named(config.voice)
        self.client = client or httpx.AsyncClient()
        self.entra = EntraVerifier(config.trusted_token_issuer)  # managed identity bearer tokens
        self._by_context: dict[str, str] = {}  # incomingCallContext -> call id
        self._repeatability: dict[str, tuple[int, dict[str, Any] | None]] = {}  # Repeatability-Request-ID -> result

    async def aclose(self) -> None:
        """End every live call (writing its recording) and stop all background work."""
        for call in list(self.calls.values()):
            if call.state is not CallState.DISCONNECTED:
                await self.end_call(call, ev.ENDED_BY_REMOTE, Outcome.COMPLETED, "simulator_shutdown")
            for task in list(call.tasks):
                task.cancel()
            await asyncio.gather(*call.tasks, return_exceptions=True)
            if call.channel is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(call.channel.close(), timeout=5.0)
        await self.client.aclose()

    # -- lookups -----------------------------------------------------------------------------------

    def get(self, call_id: str) -> Call:
        """Raises RequestError 404 (ACS code 8522) for unknown ids."""
        call = self.calls.get(call_id)
        if call is None:
            raise RequestError(404, "8522", f"Call {call_id} not found.")
        return call

    def live(self, call_id: str) -> Call:
        """A call the app may still operate on (ACS forgets disconnected calls)."""
        call = self.get(call_id)
        if call.state is CallState.DISCONNECTED:
            raise RequestError(404, "8522", f"Call {call_id} not found: it has ended.")
        return call

    def repeated(self, request_id: str | None) -> tuple[int, dict[str, Any] | None] | None:
        """The stored result of a retried request (same Repeatability-Request-ID)."""
        return self._repeatability.get(request_id) if request_id else None

    def remember(self, request_id: str | None, result: tuple[int, dict[str, Any] | None]) -> None:
        if request_id:
            self._repeatability[request_id] = result

    def _register(self, call: Call) -> None:
        if len(self.calls) >= MAX_CALLS:
            for old_id, old in list(self.calls.items()):
                if old.state is CallState.DISCONNECTED:
                    del self.calls[old_id]
                    break
        self.calls[call.id] = call

    def _new_ids(self) -> CallIds:
        return CallIds(str(uuid.uuid4()), _new_server_call_id(), str(uuid.uuid4()))

    # -- callbacks ---------------------------------------------------------------------------------

    def emit(
        self,
        call: Call,
        kind: CallEventType,
        *,
        operation_context: str | None = None,
        result: ResultInfo | None = None,
        extra: dict[str, Any] | None = None,
        url: str | None = None,
    ) -> None:
        target = url or call.callback_url
        if target is None:
            return
        if call.channel is None:
            call.channel = CallbackChannel(call_id=call.id, client=self.client, signer=self.signer)
        event = ev.callback_event(kind, call.ids, operation_context=operation_context, result=result, extra=extra)
        log.info("call %s: %s", call.id, kind.value)
        call.channel.send(target, event)

    def replay_callback(self, call_id: str, index: int) -> dict[str, Any]:
        """Send an earlier callback again with the same event id (duplicate-delivery tests)."""
        call = self.get(call_id)
        if call.channel is None or call.callback_url is None:
            raise RequestError(409, "no_callbacks", "This call has not sent any callback yet.")
        try:
            return call.channel.resend(call.callback_url, index)
        except IndexError:
            raise RequestError(400, "bad_index", f"No callback event at index {index}.") from None

    # -- inbound -----------------------------------------------------------------------------------

    def place_inbound(self, body: dict[str, Any], script: tuple[Step, ...]) -> Call:
        """A PSTN caller dials one of the app's numbers: publish IncomingCall to Event Grid."""
        caller, callee = _required_number(body, "from"), _required_number(body, "to")
        url = body.get("event_grid_url") or self.config.event_grid_url
        if not url:
            raise RequestError(409, "no_event_grid_url", "No Event Grid endpoint: start with --event-grid-url.")
        from devstack.acs.calls import require_loopback_url

        require_loopback_url(url, "event_grid_url", ("http", "https"))
        ring = body.get("ring_seconds", self.config.inbound_ring_seconds)
        if isinstance(ring, bool) or not isinstance(ring, int | float) or not 0 < ring <= 600:
            raise RequestError(400, "invalid_value", "'ring_seconds' must be a number in (0, 600].")
        name = body.get("caller_display_name", "")
        if not isinstance(name, str) or len(name) > 256:
            raise RequestError(400, "invalid_value", "'caller_display_name' must be text of at most 256 characters.")
        call = Call(
            ids=self._new_ids(),
            direction=Direction.INBOUND,
            far_end=caller,
            our_number=callee,
            script=script,
            state=CallState.RINGING,
            incoming_call_context=secrets.token_urlsafe(48),
            hang_up_after_script=body.get("hang_up_after_script", True) is not False,
        )
        self._register(call)
        self._by_context[call.incoming_call_context or ""] = call.id
        event = ev.incoming_call_event(
            topic=self.config.topic,
            caller=caller,
            callee=callee,
            server_call_id=call.ids.server_call_id,
            correlation_id=call.ids.correlation_id,
            incoming_call_context=call.incoming_call_context or "",
            caller_display_name=name,
        )
        publisher = EventGridPublisher(url=url, client=self.client, retry_delays=self.config.event_grid_retry_delays)
        call.spawn(self._publish(call, publisher, event, body.get("deliver_twice") is True), "eventgrid")
        call.spawn(self._ring_out(call, float(ring)), "ring")
        log.info("call %s: incoming call from a caller to %s", call.id, callee)
        return call

    async def _publish(self, call: Call, publisher: EventGridPublisher, event: dict[str, Any], twice: bool) -> None:
        delivered = await publisher.deliver(event, call.event_grid_attempts)
        if delivered and twice:
            await publisher.deliver(event, call.event_grid_attempts)

    async def _ring_out(self, call: Call, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if call.state is CallState.RINGING:
            call.move(CallState.DISCONNECTED)
            call.outcome, call.ended_by, call.ended_at = Outcome.MISSED, "timeout", ev.utc_now_iso()
            log.info("call %s: not answered within %.0f s", call.id, seconds)

    def answer(self, body: dict[str, Any], media: Any, callback_url: str) -> Call:
        """`POST /calling/callConnections:answer`."""
        context = body.get("incomingCallContext")
        call_id = self._by_context.get(context) if isinstance(context, str) else None
        if call_id is None or call_id not in self.calls:
            raise RequestError(400, "8523", "Invalid request: incomingCallContext is not valid or has expired.")
        call = self.calls[call_id]
        if call.state is CallState.DISCONNECTED:
            raise RequestError(400, "8587", "Incoming call not answered within time; it is no longer ringing.")
        if call.state is not CallState.RINGING:
            raise RequestError(409, "8519", "Conflict: the call has already been answered.")
        call.move(CallState.CONNECTING)
        call.callback_url, call.media = callback_url, media
        call.operation_context = body.get("operationContext") if isinstance(body.get("operationContext"), str) else None
        call.spawn(self._connect_after(call, self.config.connect_seconds), "connect")
        return call

    def reject(self, call: Call) -> None:
        """`:reject`: the app declines a ringing inbound call; the caller hears it fail."""
        call.move(CallState.DISCONNECTED)
        call.outcome, call.ended_by, call.ended_at = Outcome.DECLINED, "app:reject", ev.utc_now_iso()

    # -- outbound ----------------------------------------------------------------------------------

    def create(self, callee: str, caller_id: str, body: dict[str, Any], media: Any, callback_url: str) -> Call:
        """`POST /calling/callConnections`: dial `callee` and apply its behaviour."""
        behaviour = self.behaviours.for_callee(callee)
        call = Call(
            ids=self._new_ids(),
            direction=Direction.OUTBOUND,
            far_end=callee,
            our_number=caller_id,
            script=behaviour.script,
            state=CallState.CONNECTING,
            callback_url=callback_url,
            media=media,
            behaviour=behaviour,
            hang_up_after_script=False,
            operation_context=body.get("operationContext") if isinstance(body.get("operationContext"), str) else None,
        )
        if behaviour.kind is CalleeKind.VOICEMAIL:
            call.script = (Say(behaviour.greeting), Silence(behaviour.seconds), HangUp())
        self._register(call)
        call.spawn(self._ring_callee(call), "ring")
        log.info("call %s: outbound call, callee behaves as %s", call.id, behaviour.kind.value)
        return call

    async def _ring_callee(self, call: Call) -> None:
        behaviour = call.behaviour
        assert behaviour is not None
        if behaviour.kind is CalleeKind.NO_ANSWER:
            await asyncio.sleep(behaviour.seconds)
            await self._fail_create(call, ev.unanswered(behaviour.kind.value, call.far_end), Outcome.NO_ANSWER)
        elif behaviour.kind in (CalleeKind.BUSY, CalleeKind.DECLINE):
            await asyncio.sleep(behaviour.ring_seconds)
            busy = behaviour.kind is CalleeKind.BUSY
            result = ev.unanswered(behaviour.kind.value, call.far_end)
            await self._fail_create(call, result, Outcome.BUSY if busy else Outcome.DECLINED)
        else:
            await self._connect_after(call, behaviour.ring_seconds)
            if behaviour.kind is CalleeKind.HANG_UP_AFTER and call.state is CallState.CONNECTED:
                call.spawn(self._hang_up_later(call, behaviour.seconds), "hangup-timer")

    async def _fail_create(self, call: Call, result: ResultInfo, outcome: Outcome) -> None:
        if call.state is not CallState.CONNECTING:
            return
        call.move(CallState.DISCONNECTED)
        call.outcome, call.ended_by, call.ended_at = outcome, "callee", ev.utc_now_iso()
        self.emit(call, CallEventType.CREATE_CALL_FAILED, operation_context=call.operation_context, result=result)
        self.emit(call, CallEventType.CALL_DISCONNECTED, operation_context=call.operation_context, result=result)

    async def _hang_up_later(self, call: Call, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.end_call(call, ev.ENDED_BY_REMOTE, Outcome.COMPLETED, "callee")

    # -- connected calls ---------------------------------------------------------------------------

    async def _connect_after(self, call: Call, delay: float) -> None:
        await asyncio.sleep(delay)
        if call.state is not CallState.CONNECTING:
            return
        call.move(CallState.CONNECTED)
        call.answered_at = ev.utc_now_iso()
        self.emit(call, CallEventType.CALL_CONNECTED, operation_context=call.operation_context)
        rate = call.media.sample_rate if call.media else 24000
        call.handset = Handset(
            call_id=call.id,
            script=call.script,
            voice=self.voice,
            sample_rate=rate,
            speedup=self.config.speedup,
            max_seconds=self.config.max_call_seconds,
            hang_up=lambda reason: self._far_end_hangs_up(call, reason),
            hang_up_after_script=call.hang_up_after_script,
        )
        if call.media is not None and call.media.start_on_connect:
            # The far end starts talking once media flows, so the app hears its first words.
            await self.start_streaming(call, call.operation_context)
        # The state may have changed while awaiting (mypy narrows across the await).
        if call.state is not CallState.DISCONNECTED:  # type: ignore[comparison-overlap]
            call.spawn(call.handset.run(), "handset")

    async def _far_end_hangs_up(self, call: Call, reason: str) -> None:
        # A task of its own: the handset that asked must not cancel the hang-up when it stops.
        who = "caller" if call.direction is Direction.INBOUND else "callee"
        call.spawn(self.end_call(call, ev.ENDED_BY_REMOTE, Outcome.COMPLETED, f"{who}:{reason}"), "hangup")

    async def start_streaming(self, call: Call, operation_context: str | None) -> None:
        """Open the media WebSocket and report MediaStreamingStarted or MediaStreamingFailed."""
        media, handset = call.media, call.handset
        if media is None or handset is None or call.state not in (CallState.CONNECTED, CallState.TRANSFERRING):
            return
        stream = MediaStream(
            url=media.transport_url,
            call_connection_id=call.id,
            correlation_id=call.ids.correlation_id,
            participant_raw_id=call.far_end_identifier["rawId"],
            sample_rate=media.sample_rate,
            speaker=handset,
            bidirectional=media.bidirectional,
            dtmf=media.dtmf,
            authorization=f"Bearer {self.signer.mint(lifetime_seconds=MEDIA_TOKEN_LIFETIME_SECONDS)}",
            on_closed_by_server=lambda code, reason: self._stream_closed_by_server(call, code),
        )
        call.stream = stream
        try:
            await stream.open()
        except MediaStreamError as exc:
            log.warning("call %s: media streaming failed: %s", call.id, exc)
            self.emit(
                call,
                CallEventType.MEDIA_STREAMING_FAILED,
                operation_context=operation_context,
                result=ev.STREAMING_FAILED,
                extra=ev.media_streaming_update("mediaStreamingFailed", exc.details),
            )
            return
        if call.state is CallState.DISCONNECTED:  # type: ignore[comparison-overlap]  # hung up while opening
            await stream.close()
            return
        handset.stream = stream
        self.emit(
            call,
            CallEventType.MEDIA_STREAMING_STARTED,
            operation_context=operation_context,
            result=ev.STREAMING_STARTED,
            extra=ev.media_streaming_update("mediaStreamingStarted", "subscriptionStarted"),
        )

    async def _stream_closed_by_server(self, call: Call, code: int | None) -> None:
        if call.handset is not None:
            call.handset.stream = None
        if call.state is CallState.DISCONNECTED:
            return
        if code == 1000:
            self.emit(
                call,
                CallEventType.MEDIA_STREAMING_STOPPED,
                result=ev.STREAMING_STOPPED,
                extra=ev.media_streaming_update("mediaStreamingStopped", "subscriptionStopped"),
            )
        else:
            self.emit(
                call,
                CallEventType.MEDIA_STREAMING_FAILED,
                result=ev.STREAMING_FAILED,
                extra=ev.media_streaming_update("mediaStreamingFailed", "streamConnectionInterrupted"),
            )

    async def stop_streaming(self, call: Call, operation_context: str | None) -> None:
        stream = call.stream
        if call.handset is not None:
            call.handset.stream = None
        if stream is not None and stream.is_open:
            await stream.close(1000, "media streaming stopped")
            self.emit(
                call,
                CallEventType.MEDIA_STREAMING_STOPPED,
                operation_context=operation_context,
                result=ev.STREAMING_STOPPED,
                extra=ev.media_streaming_update("mediaStreamingStopped", "subscriptionStopped"),
            )

    def hang_up(self, call_id: str, by: str) -> None:
        """The app hangs up (DELETE or :terminate); events follow in the background."""
        call = self.live(call_id)
        if call.state is CallState.RINGING:
            raise RequestError(400, "8501", "Action is not supported: the call is not established.")
        outcome = Outcome.CANCELED if call.state is CallState.CONNECTING else Outcome.COMPLETED
        result = (
            ResultInfo(487, 0, "Call was canceled by the caller.") if outcome is Outcome.CANCELED else ev.ENDED_BY_APP
        )
        call.spawn(self.end_call(call, result, outcome, by), "hangup")

    def caller_hangs_up(self, call_id: str) -> Call:
        """Control API: the far end hangs up now."""
        call = self.get(call_id)
        if call.state not in (CallState.CONNECTED, CallState.TRANSFERRING, CallState.CONNECTING, CallState.RINGING):
            raise RequestError(409, "not_live", f"Call {call_id} has already ended.")
        if call.state is CallState.RINGING:
            call.move(CallState.DISCONNECTED)
            call.outcome, call.ended_by, call.ended_at = Outcome.MISSED, "caller:abandoned", ev.utc_now_iso()
            return call
        who = "caller" if call.direction is Direction.INBOUND else "callee"
        call.spawn(self.end_call(call, ev.ENDED_BY_REMOTE, Outcome.COMPLETED, f"{who}:control_api"), "hangup")
        return call

    async def end_call(self, call: Call, result: ResultInfo, outcome: Outcome, by: str) -> None:
        """Disconnect the call once: stop media and the handset, send the final events, save audio."""
        try:
            call.move(CallState.DISCONNECTED)
        except IllegalTransition:
            return
        call.outcome, call.ended_by, call.ended_at = outcome, by, ev.utc_now_iso()
        log.info("call %s: disconnected (%s, %s)", call.id, outcome.value, by)
        if call.handset is not None:
            call.handset.stop()
        stream = call.stream
        if stream is not None and stream.is_open:
            await stream.close(1000, "call ended")
            self.emit(
                call,
                CallEventType.MEDIA_STREAMING_STOPPED,
                result=ev.STREAMING_STOPPED,
                extra=ev.media_streaming_update("mediaStreamingStopped", "subscriptionStopped"),
            )
        if call.recording_state == "active":
            self.recording_changed(call, "inactive")
        self.emit(call, CallEventType.CALL_DISCONNECTED, operation_context=None, result=result)
        self._save_audio(call)
        if call.recording_id and call.conversation_wav is not None:
            call.spawn(self._publish_recording_file(call), "recording-file")

    async def _publish_recording_file(self, call: Call) -> None:
        """Like ACS, announce the recording's file on Event Grid (the app's IncomingCall endpoint)."""
        url = self.config.event_grid_url
        if not url or call.recording_id is None or call.conversation_wav is None:
            return
        rate = call.handset.sample_rate if call.handset is not None else 24000
        seconds = max(0, call.conversation_wav.stat().st_size - 44) / (2 * 2 * rate)  # stereo PCM16
        event = ev.recording_file_event(
            topic=self.config.topic,
            server_call_id=call.ids.server_call_id,
            recording_id=call.recording_id,
            content_location=f"{call.recording_base_url}/simulator/recordings/{call.recording_id}/content",
            started_at=call.recording_started_at or call.created_at,
            duration_ms=int(seconds * 1000),
        )
        publisher = EventGridPublisher(url=url, client=self.client, retry_delays=self.config.event_grid_retry_delays)
        await publisher.deliver(event, call.event_grid_attempts)

    def _save_audio(self, call: Call) -> None:
        handset = call.handset
        if handset is None or not handset.heard:
            return
        directory = self.config.recordings_dir
        call.heard_wav = directory / f"{call.id}-heard.wav"
        call.conversation_wav = directory / f"{call.id}-conversation.wav"
        heard = np.frombuffer(bytes(handset.heard), dtype="<i2")
        spoken = np.frombuffer(bytes(handset.spoken), dtype="<i2")
        length = min(heard.size, spoken.size)
        stereo = np.column_stack((spoken[:length], heard[:length])).astype("<i2").tobytes()
        write_wav(call.heard_wav, heard.tobytes(), handset.sample_rate)
        write_wav(call.conversation_wav, stereo, handset.sample_rate, channels=2)

    async def flush(self) -> None:
        """Wait until every queued callback has been attempted (tests, CLI)."""
        for call in list(self.calls.values()):
            if call.channel is not None:
                await call.channel.flush()

    def recording_changed(self, call: Call, state: str) -> None:
        call.recording_state = state
        self.emit(
            call,
            CallEventType.RECORDING_STATE_CHANGED,
            url=call.recording_callback_url,
            extra={
                "recordingId": call.recording_id,
                "state": state,
                "startDateTime": ev.utc_now_iso(),
                "recordingKind": "AzureCommunicationServices",
            },
        )

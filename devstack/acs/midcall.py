"""Mid-call actions on a connected call: transfer to a human, play prompts, call recording.

Each returns at once with what ACS returns (202/200) and finishes in the background with the
callback events ACS sends: CallTransferAccepted (then this leg's CallDisconnected) or
CallTransferFailed; PlayStarted then PlayCompleted or PlayFailed; RecordingStateChanged.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
import re
import uuid
from typing import Any

import httpx

from devstack.acs import events as ev
from devstack.acs.behaviour import CalleeKind
from devstack.acs.calls import Call, CallState, Outcome, RequestError, require_loopback_url
from devstack.acs.events import CallEventType
from devstack.acs.script import ScriptError, read_wav, resample
from devstack.acs.simulator import AcsSimulator

log = logging.getLogger("devstack.acs.midcall")
MAX_PLAY_SOURCES = 10
MAX_PLAY_TEXT = 4000
MAX_FILE_BYTES = 20 * 1024 * 1024
_TAG = re.compile(r"<[^>]+>")


def _require_connected(call: Call, action: str) -> None:
    if call.state is not CallState.CONNECTED:
        raise RequestError(
            400,
            "8501",
            f"Action is not supported: {action} needs an established call (the call is {call.state.value}).",
        )


def _operation_context(body: dict[str, Any]) -> str | None:
    value = body.get("operationContext")
    return value if isinstance(value, str) else None


# -- transfer --------------------------------------------------------------------------------------


def transfer(sim: AcsSimulator, call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /calling/callConnections/{id}:transferToParticipant` -> 202 `TransferCallResponse`."""
    _require_connected(call, "transfer")
    target = body.get("targetParticipant")
    address = ev.identifier_address(target) if isinstance(target, dict) else ""
    if not address:
        raise RequestError(400, "8523", "Invalid request: targetParticipant must be a phone number or user identifier.")
    context = _operation_context(body)
    call.move(CallState.TRANSFERRING)
    call.transfer_target = address
    assert isinstance(target, dict)  # checked above: an address was read from it
    call.spawn(_run_transfer(sim, call, target, context), "transfer")
    return {"operationContext": context}


async def _run_transfer(sim: AcsSimulator, call: Call, target: dict[str, Any], context: str | None) -> None:
    behaviour = sim.behaviours.for_transfer_target(ev.identifier_address(target))
    wait = behaviour.seconds if behaviour.kind is CalleeKind.NO_ANSWER else behaviour.ring_seconds
    await asyncio.sleep(wait)
    if call.state is not CallState.TRANSFERRING:
        return  # the caller hung up while the human's phone rang
    participants = {
        "transferTarget": {"rawId": ev.identifier_raw_id(target), **target},
        "transferee": call.far_end_identifier,
    }
    if behaviour.answers:
        sim.emit(
            call,
            CallEventType.CALL_TRANSFER_ACCEPTED,
            operation_context=context,
            result=ev.TRANSFER_OK,
            extra=participants,
        )
        await sim.end_call(call, ev.TRANSFERRED_AWAY, Outcome.TRANSFERRED, "transfer")
        return
    result = ev.unanswered(behaviour.kind.value, ev.identifier_address(target))
    call.move(CallState.CONNECTED)
    call.transfer_target = None
    sim.emit(call, CallEventType.CALL_TRANSFER_FAILED, operation_context=context, result=result, extra=participants)


# -- play ------------------------------------------------------------------------------------------


def _validate_sources(body: dict[str, Any]) -> list[dict[str, Any]]:
    sources = body.get("playSources")
    if not isinstance(sources, list) or not sources or len(sources) > MAX_PLAY_SOURCES:
        raise RequestError(400, "8523", f"Invalid request: playSources must list 1-{MAX_PLAY_SOURCES} sources.")
    for source in sources:
        kind = source.get("kind") if isinstance(source, dict) else None
        inner = source.get(kind) if kind in ("text", "file", "ssml") else None
        if not isinstance(inner, dict):
            raise RequestError(400, "8523", "Invalid request: each play source needs kind text/file/ssml and its body.")
        text = inner.get("text") if kind == "text" else inner.get("ssmlText") if kind == "ssml" else inner.get("uri")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_PLAY_TEXT:
            raise RequestError(400, "8582", "Play source text, SSML or file URI is empty or too long.")
    return sources


def play(sim: AcsSimulator, call: Call, body: dict[str, Any]) -> None:
    """`POST /calling/callConnections/{id}:play` -> 202; the prompt is heard by the far end."""
    _require_connected(call, "play")
    sources = _validate_sources(body)
    if call.handset is None:
        raise RequestError(400, "8501", "Action is not supported: the call has no media yet.")
    call.spawn(_run_play(sim, call, sources, _operation_context(body)), "play")


async def _render(sim: AcsSimulator, source: dict[str, Any], rate: int) -> bytes:
    kind = source["kind"]
    if kind in ("text", "ssml"):
        text = source["text"]["text"] if kind == "text" else html.unescape(_TAG.sub(" ", source["ssml"]["ssmlText"]))
        return resample(await asyncio.to_thread(sim.voice, text), 24000, rate)
    uri = source["file"]["uri"]
    try:
        require_loopback_url(uri, "file.uri", ("http", "https"))
        response = await sim.client.get(uri, timeout=10.0)
    except (RequestError, httpx.HTTPError) as exc:
        raise _PlayFailure(ev.PLAY_DOWNLOAD_FAILED, f"cannot download {uri.split('?')[0]}: {exc}") from None
    if response.status_code != 200 or len(response.content) > MAX_FILE_BYTES:
        raise _PlayFailure(ev.PLAY_DOWNLOAD_FAILED, f"download answered {response.status_code}")
    try:
        return read_wav(io.BytesIO(response.content), rate)
    except ScriptError as exc:
        raise _PlayFailure(ev.PLAY_BAD_FORMAT, str(exc)) from None


class _PlayFailure(Exception):
    def __init__(self, result: ev.ResultInfo, reason: str) -> None:
        super().__init__(reason)
        self.result = result


async def _run_play(sim: AcsSimulator, call: Call, sources: list[dict[str, Any]], context: str | None) -> None:
    handset = call.handset
    assert handset is not None
    try:
        audio = [await _render(sim, source, handset.sample_rate) for source in sources]
    except _PlayFailure as exc:
        log.info("call %s: play failed: %s", call.id, exc)
        sim.emit(call, CallEventType.PLAY_FAILED, operation_context=context, result=exc.result)
        return
    sim.emit(call, CallEventType.PLAY_STARTED, operation_context=context, result=ev.SUCCESS)
    for pcm in audio:
        await handset.play_prompt(pcm)
    if call.state in (CallState.CONNECTED, CallState.TRANSFERRING):
        sim.emit(call, CallEventType.PLAY_COMPLETED, operation_context=context, result=ev.SUCCESS)


# -- recording -------------------------------------------------------------------------------------


def start_recording(sim: AcsSimulator, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
    """`POST /calling/recordings` (by callConnectionId or serverCallId locator)."""
    locator = body.get("callLocator")
    call: Call | None = None
    if isinstance(body.get("callConnectionId"), str):
        call = sim.calls.get(body["callConnectionId"])
    elif isinstance(locator, dict) and isinstance(locator.get("serverCallId"), str):
        call = next((c for c in sim.calls.values() if c.ids.server_call_id == locator["serverCallId"]), None)
    else:
        raise RequestError(400, "8523", "Invalid request: callConnectionId or callLocator.serverCallId is required.")
    if call is None:
        raise RequestError(404, "8522", "Call not found.")
    _require_connected(call, "start recording")
    if call.recording_state in ("active", "inactive") and call.recording_id:
        raise RequestError(400, "8553", "Duplicate recording: recording is already started for this call.")
    callback = body.get("recordingStateCallbackUri")
    if callback is not None:
        call.recording_callback_url = require_loopback_url(callback, "recordingStateCallbackUri", ("http", "https"))
    call.recording_id = str(uuid.uuid4())
    call.recording_started_at, call.recording_base_url = ev.utc_now_iso(), base_url.rstrip("/")
    call.record_operation("start_recording", recording_id=call.recording_id)
    sim.recording_changed(call, "active")
    return recording_state(call)


def recording_state(call: Call) -> dict[str, Any]:
    return {
        "recordingId": call.recording_id,
        "recordingState": call.recording_state,
        "recordingKind": "AzureCommunicationServices",
    }


def find_recording(sim: AcsSimulator, recording_id: str) -> Call:
    for call in sim.calls.values():
        if call.recording_id == recording_id:
            return call
    raise RequestError(404, "8522", f"Recording {recording_id} not found.")


def change_recording(sim: AcsSimulator, recording_id: str, action: str) -> None:
    """stop (DELETE), pause, resume."""
    call = find_recording(sim, recording_id)
    if call.state is CallState.DISCONNECTED or call.recording_state is None:
        raise RequestError(400, "8501", "Action is not supported: the call has ended.")
    new_state = {"stop": "inactive", "pause": "inactive", "resume": "active"}[action]
    call.record_operation(f"{action}_recording", recording_id=recording_id)
    if action == "stop":
        sim.recording_changed(call, "inactive")
        call.recording_state = None
    elif call.recording_state != new_state:
        sim.recording_changed(call, new_state)

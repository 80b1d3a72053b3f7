"""The Call Automation REST API subset, as the `azure-communication-callautomation` SDK calls it.

Every request must carry `api-version` and a valid HMAC-SHA256 signature (else 401 like ACS).
Paths use ACS's `resource:action` form (`/calling/callConnections/{id}:play`), so routing parses the
raw path here instead of using path templates (a `:` suffix and percent-encoded ids). Errors are
`{"error": {"code", "message"}}` with ACS's status and subcode; nothing here returns a 500 for bad
input.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devstack.acs import midcall
from devstack.acs.calls import CallState, RequestError, parse_media_options, require_loopback_url
from devstack.acs.entra_auth import BearerRefused
from devstack.acs.events import identifier_address
from devstack.acs.hmac_auth import SignatureError, verify_request
from devstack.acs.simulator import E164, AcsSimulator

log = logging.getLogger("devstack.acs.rest")
MAX_BODY_BYTES = 1 << 20
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
_CONNECTION = re.compile(r"^/calling/callConnections/(?P<id>[^/:]+)(?::(?P<action>[A-Za-z]+))?$")
_RECORDING = re.compile(r"^/calling/recordings/(?P<id>[^/:]+)(?::(?P<action>[A-Za-z]+))?$")


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def handle_calling(request: Request) -> Response:
    """Entry point for everything under `/calling/` except the OpenID documents."""
    sim: AcsSimulator = request.app.state.simulator
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return error(413, "RequestEntityTooLarge", "The request body is larger than 1 MiB.")
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    try:
        if scheme.lower() == "bearer":  # a managed identity's Entra ID token instead of the HMAC key
            await sim.entra.verify(sim.client, bearer.strip())
        else:
            verify_request(
                secret=request.app.state.secret,
                method=request.method,
                path_and_query=raw_path + (f"?{query}" if query else ""),
                headers=request.headers,
                body=body,
            )
    except (SignatureError, BearerRefused) as exc:
        log.warning("rejected %s %s: %s", request.method, request.url.path, exc.reason)
        return error(401, "Denied", "Denied by the resource provider.")
    versions = parse_qs(query).get("api-version", [])
    if len(versions) != 1 or not _API_VERSION.match(versions[0]):
        return error(
            400, "MissingApiVersionParameter", "The api-version query parameter is required (e.g. 2025-06-15)."
        )
    try:
        payload = _json_object(body) if request.method == "POST" else {}
        return await _route(sim, request, raw_path.split("?")[0], payload)
    except RequestError as exc:
        log.info("%s %s -> %d %s", request.method, request.url.path, exc.status, exc.code)
        return error(exc.status, exc.code, exc.message)


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise RequestError(400, "BadRequest", "The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise RequestError(400, "BadRequest", "The request body must be a JSON object.")
    return value


Handler = Callable[[AcsSimulator, Request, str, dict[str, Any]], Awaitable[Response]]


async def _route(sim: AcsSimulator, request: Request, path: str, body: dict[str, Any]) -> Response:
    method = request.method
    if path == "/calling/callConnections" and method == "POST":
        return _repeatable(sim, request, "create", lambda: _create(sim, body))
    if path == "/calling/callConnections:answer" and method == "POST":
        return _repeatable(sim, request, "answer", lambda: _answer(sim, body))
    if path == "/calling/callConnections:reject" and method == "POST":
        return _repeatable(sim, request, "reject", lambda: _reject(sim, body))
    if path == "/calling/recordings" and method == "POST":
        return _repeatable(
            sim, request, "record", lambda: (200, midcall.start_recording(sim, body, str(request.base_url)))
        )
    if match := _RECORDING.match(path):
        return _recording(sim, method, unquote(match["id"]), match["action"])
    match = _CONNECTION.match(path)
    if match is None:
        raise RequestError(404, "NotFound", f"No such Call Automation resource: {path}.")
    call_id, action = unquote(match["id"]), match["action"]
    if action is None and method == "GET":
        return JSONResponse(sim.live(call_id).properties())
    if action is None and method == "DELETE":
        sim.live(call_id).record_operation("hang_up", for_everyone=False)
        sim.hang_up(call_id, "app:hang_up")
        return Response(status_code=204)
    if method != "POST" or action is None:
        raise RequestError(405, "8520", f"{method} {path} is not supported by the simulator.")
    if action == "terminate":  # before the lookup: a retried terminate finds the call already ended
        return _repeatable(sim, request, f"terminate:{call_id}", lambda: _terminate(sim, call_id))
    call = sim.live(call_id)
    if action == "transferToParticipant":
        target = (
            identifier_address(body.get("targetParticipant") or {})
            if isinstance(body.get("targetParticipant"), dict)
            else ""
        )
        call.record_operation(
            "transfer_call_to_participant", target=target, operation_context=body.get("operationContext")
        )
        return _repeatable(sim, request, f"transfer:{call_id}", lambda: (202, midcall.transfer(sim, call, body)))
    if action == "play":
        call.record_operation(
            "play_media",
            sources=[s.get("kind") for s in body.get("playSources") or [] if isinstance(s, dict)],
            operation_context=body.get("operationContext"),
        )
        midcall.play(sim, call, body)
        return Response(status_code=202)
    if action in ("startMediaStreaming", "stopMediaStreaming"):
        return await _media_streaming(sim, call_id, action, body)
    raise RequestError(405, "8520", f"Functionality not supported by the simulator: {action}.")


def _repeatable(
    sim: AcsSimulator, request: Request, scope: str, run: Callable[[], tuple[int, dict[str, Any] | None]]
) -> Response:
    """Honour `Repeatability-Request-ID`: a retried request gets the first answer, not a second effect.

    The SDK sends the header (with `Repeatability-First-Sent`) on create, answer, reject, redirect,
    terminate, transfer, participant changes, send DTMF and start recording, and keeps the id when
    its retry policy resends a request whose answer was lost.
    """
    request_id = request.headers.get("repeatability-request-id")
    key = f"{scope}:{request_id}" if request_id else None
    previous = sim.repeated(key)
    if previous is None:
        previous = run()
        sim.remember(key, previous)
    status, body = previous
    return Response(status_code=status) if body is None else JSONResponse(body, status_code=status)


def _terminate(sim: AcsSimulator, call_id: str) -> tuple[int, None]:
    sim.live(call_id).record_operation("hang_up", for_everyone=True)
    sim.hang_up(call_id, "app:terminate")
    return 204, None


def _callback(body: dict[str, Any]) -> str:
    return require_loopback_url(body.get("callbackUri"), "callbackUri", ("http", "https"))


def _create(sim: AcsSimulator, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    targets = body.get("targets")
    if not isinstance(targets, list) or len(targets) != 1 or not isinstance(targets[0], dict):
        raise RequestError(400, "8523", "Invalid request: the simulator places calls to exactly one target.")
    callee = identifier_address(targets[0])
    if not E164.match(callee) and not callee.startswith("8:"):
        raise RequestError(400, "8523", "Invalid request: the target must be an E.164 phone number or ACS user.")
    source = body.get("sourceCallerIdNumber")
    caller_id = source.get("value") if isinstance(source, dict) else None
    if E164.match(callee) and (not isinstance(caller_id, str) or not E164.match(caller_id)):
        raise RequestError(400, "8523", "Invalid request: sourceCallerIdNumber is required to call a phone number.")
    media = parse_media_options(body.get("mediaStreamingOptions"))
    call = sim.create(callee, caller_id or "", body, media, _callback(body))
    call.record_operation(
        "create_call", target=callee, operation_context=body.get("operationContext"), media_streaming=media is not None
    )
    return 201, call.properties()


def _answer(sim: AcsSimulator, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    callback = _callback(body)
    media = parse_media_options(body.get("mediaStreamingOptions"))
    call = sim.answer(body, media, callback)
    call.record_operation(
        "answer_call", operation_context=body.get("operationContext"), media_streaming=media is not None
    )
    return 200, call.properties()


def _reject(sim: AcsSimulator, body: dict[str, Any]) -> tuple[int, None]:
    context = body.get("incomingCallContext")
    call = next((c for c in sim.calls.values() if context and c.incoming_call_context == context), None)
    if call is None or call.state is not CallState.RINGING:
        raise RequestError(400, "8523", "Invalid request: incomingCallContext is not valid or has expired.")
    call.record_operation("reject_call", reason=body.get("callRejectReason"))
    sim.reject(call)
    return 204, None


async def _media_streaming(sim: AcsSimulator, call_id: str, action: str, body: dict[str, Any]) -> Response:
    call = sim.live(call_id)
    context = body.get("operationContext") if isinstance(body.get("operationContext"), str) else None
    call.record_operation(action, operation_context=context)
    if call.state is not CallState.CONNECTED:
        raise RequestError(400, "8501", "Action is not supported: the call is not established.")
    streaming = call.stream is not None and call.stream.is_open
    if action == "startMediaStreaming":
        if call.media is None:
            raise RequestError(400, "8522", "Missing configuration: the call has no mediaStreamingOptions.")
        if streaming:
            raise RequestError(400, "8500", "Invalid media mode: media streaming is already active.")
        call.spawn(sim.start_streaming(call, context), "start-media")
    else:
        if not streaming:
            raise RequestError(400, "8500", "Invalid media mode: media streaming is not active.")
        call.spawn(sim.stop_streaming(call, context), "stop-media")
    return Response(status_code=202)


def _recording(sim: AcsSimulator, method: str, recording_id: str, action: str | None) -> Response:
    if action is None and method == "GET":
        call = midcall.find_recording(sim, recording_id)
        if call.recording_state is None:
            raise RequestError(404, "8522", f"Recording {recording_id} not found.")
        return JSONResponse(midcall.recording_state(call))
    if action is None and method == "DELETE":
        midcall.change_recording(sim, recording_id, "stop")
        return Response(status_code=204)
    if method == "POST" and action in ("pause", "resume"):
        midcall.change_recording(sim, recording_id, action)
        return Response(status_code=202)
    raise RequestError(405, "8520", "Functionality not supported by the simulator.")

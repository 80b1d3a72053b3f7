"""The simulator's own control API (`/simulator/...`): place calls, steer and observe them.

Loopback only and unauthenticated, like the rest of the local stack's developer endpoints. It
never returns tokens: callback and transport URLs are shown without their query strings.

- `POST /simulator/calls/inbound` `{"from", "to", "script"?, "ring_seconds"?, "deliver_twice"?,
  "caller_display_name"?, "hang_up_after_script"?, "event_grid_url"?}` -> 201 call
- `GET /simulator/calls`, `GET /simulator/calls/{id}` -> state, events, operations, media stats, WAVs
- `POST /simulator/calls/{id}/hangup` -> the far end hangs up
- `POST /simulator/calls/{id}/script` `{"script": [...]}` -> the far end says more
- `POST /simulator/calls/{id}/callbacks/replay` `{"index": n}` -> resend callback n (same event id)
- `GET /simulator/calls/{id}/audio?side=heard|conversation` -> the recorded WAV once the call ended
- `GET|POST /simulator/behaviours` -> callee / human-agent behaviours by number
- `POST /simulator/tokens` `{"audience"?, "issuer"?, "lifetime_seconds"?}` -> a callback JWT signed
  with the simulator's key (for tests of rejected tokens: wrong audience, expired)
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from devstack.acs.behaviour import BehaviourError
from devstack.acs.calls import CallState, RequestError
from devstack.acs.rest import error
from devstack.acs.script import ScriptError, parse_script
from devstack.acs.simulator import AcsSimulator

MAX_BODY_BYTES = 256 * 1024


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise RequestError(413, "too_large", "The request body is larger than 256 KiB.")
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise RequestError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise RequestError(400, "invalid_json", "The request body must be a JSON object.")
    return value


def _sim(request: Request) -> AcsSimulator:
    sim: AcsSimulator = request.app.state.simulator
    return sim


def _guard(handler: Any) -> Any:
    """Map RequestError (and script/behaviour errors) to JSON 4xx responses in one place."""

    async def wrapped(request: Request) -> Response:
        try:
            response: Response = await handler(request)
        except RequestError as exc:
            return error(exc.status, exc.code, exc.message)
        except (ScriptError, BehaviourError) as exc:
            return error(400, "invalid_value", str(exc))
        return response

    return wrapped


@_guard
async def place_inbound(request: Request) -> Response:
    body = await _body(request)
    script = parse_script(body.get("script"))
    call = _sim(request).place_inbound(body, script)
    return JSONResponse(call.snapshot(), status_code=201)


@_guard
async def list_calls(request: Request) -> Response:
    calls = list(_sim(request).calls.values())
    return JSONResponse({"calls": [c.snapshot(detail=False) for c in calls]})


@_guard
async def get_call(request: Request) -> Response:
    return JSONResponse(_sim(request).get(request.path_params["call_id"]).snapshot())


@_guard
async def hang_up(request: Request) -> Response:
    call = _sim(request).caller_hangs_up(request.path_params["call_id"])
    return JSONResponse(call.snapshot(detail=False), status_code=202)


@_guard
async def add_script(request: Request) -> Response:
    body = await _body(request)
    call = _sim(request).get(request.path_params["call_id"])
    steps = parse_script(body.get("script"))
    if not steps:
        raise RequestError(400, "invalid_value", "'script' must hold at least one step.")
    if call.handset is None or call.state not in (CallState.CONNECTED, CallState.TRANSFERRING):
        raise RequestError(409, "not_connected", f"Call {call.id} is {call.state.value}: nobody to speak.")
    call.handset.add_steps(steps)
    return JSONResponse({"queued_steps": len(steps)}, status_code=202)


@_guard
async def replay_callback(request: Request) -> Response:
    body = await _body(request)
    index = body.get("index")
    if isinstance(index, bool) or not isinstance(index, int):
        raise RequestError(400, "invalid_value", "'index' must be the integer index of a sent event.")
    event = _sim(request).replay_callback(request.path_params["call_id"], index)
    return JSONResponse({"resent": event["id"], "type": event["type"]}, status_code=202)


@_guard
async def audio(request: Request) -> Response:
    call = _sim(request).get(request.path_params["call_id"])
    side = request.query_params.get("side", "heard")
    if side not in ("heard", "conversation"):
        raise RequestError(400, "invalid_value", "'side' must be heard or conversation.")
    path = call.heard_wav if side == "heard" else call.conversation_wav
    if path is None or not path.is_file():
        raise RequestError(404, "no_audio", "No recording yet: audio is written when the call ends.")
    return FileResponse(path, media_type="audio/wav")


@_guard
async def recording_content(request: Request) -> Response:
    """The `contentLocation` of a RecordingFileStatusUpdated event: the call's conversation WAV."""
    recording_id = request.path_params["recording_id"]
    call = next((c for c in _sim(request).calls.values() if c.recording_id == recording_id), None)
    if call is None or call.conversation_wav is None or not call.conversation_wav.is_file():
        raise RequestError(404, "8522", f"Recording {recording_id} has no file (yet).")
    return FileResponse(call.conversation_wav, media_type="audio/wav")


@_guard
async def behaviours(request: Request) -> Response:
    sim = _sim(request)
    if request.method == "POST":
        sim.behaviours.update(await _body(request))
    return JSONResponse(sim.behaviours.wire())


@_guard
async def mint_token(request: Request) -> Response:
    body = await _body(request)
    lifetime = body.get("lifetime_seconds", 300)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int) or not -86400 <= lifetime <= 86400:
        raise RequestError(400, "invalid_value", "'lifetime_seconds' must be an integer in [-86400, 86400].")
    for name in ("audience", "issuer"):
        if name in body and not isinstance(body[name], str):
            raise RequestError(400, "invalid_value", f"'{name}' must be a string.")
    token = _sim(request).signer.mint(
        audience=body.get("audience"), issuer=body.get("issuer"), lifetime_seconds=lifetime
    )
    return JSONResponse({"token": token})


async def health(request: Request) -> Response:
    sim = _sim(request)
    live = sum(1 for c in sim.calls.values() if c.state is not CallState.DISCONNECTED)
    return JSONResponse({"status": "ok", "live_calls": live, "calls": len(sim.calls)})

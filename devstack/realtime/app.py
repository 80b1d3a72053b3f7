"""The Realtime simulator's Starlette app: WebSocket sessions, ephemeral keys, chat completions.

Routes (as on an Azure OpenAI resource):
- WebSocket `/openai/v1/realtime?model=<deployment>`: a GA Realtime session (`ws.py`).
- POST `/openai/v1/realtime/calls`: the same session over WebRTC, SDP offer in, answer out (`webrtc.py`).
- POST `/openai/v1/realtime/client_secrets`: mints an `ek_...` key for a browser session.
- POST `/openai/deployments/{deployment}/chat/completions` and `/openai/v1/chat/completions`:
  a deterministic extractive summary of the messages (used for post-call summaries).
- GET/POST `/simulator/faults`: fault injection for tests in other processes (`faults.py`).
Every HTTP endpoint needs `api-key` or `Authorization: Bearer`; errors are JSON `{"error": ...}`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from devstack.realtime.conversation import default_session, merge_session
from devstack.realtime.faults import fault_routes
from devstack.realtime.protocol import new_id
from devstack.realtime.schema import SchemaError, check_event
from devstack.realtime.state import SimulatorState
from devstack.realtime.summary import chat_completion
from devstack.realtime.webrtc import RtcCalls, create_call, hang_up, lifespan
from devstack.realtime.ws import realtime_socket


def _error(status: int, code: str, message: str, param: str | None = None) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse({"error": {"type": kind, "code": code, "message": message, "param": param}}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any] | JSONResponse:
    state: SimulatorState = request.app.state.simulator
    if not state.authorize(request.headers):
        return _error(401, "invalid_api_key", "Access denied due to invalid api-key or bearer token.")
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return _error(400, "invalid_json", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return _error(400, "invalid_json", "The request body must be a JSON object.")
    return body


async def client_secrets(request: Request) -> JSONResponse:
    body = await _json_body(request)
    if isinstance(body, JSONResponse):
        return body
    session = body.get("session", {})
    if not isinstance(session, dict) or session.get("type", "realtime") != "realtime":
        return _error(400, "invalid_value", "Invalid 'session': expected an object with type 'realtime'.", "session")
    unknown = sorted(set(body) - {"session", "expires_after"})
    if unknown:
        return _error(400, "unknown_parameter", f"Unknown parameter: '{unknown[0]}'.", unknown[0])
    try:  # the session a key is minted with is checked like a session.update's
        check_event({"type": "session.update", "session": {"type": "realtime", **session}})
    except SchemaError as exc:
        return _error(400, exc.code, exc.message, exc.param)
    expires = body.get("expires_after", {"anchor": "created_at", "seconds": 600})
    seconds = expires.get("seconds", 600) if isinstance(expires, dict) else None
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 10 <= seconds <= 7200:
        return _error(
            400, "invalid_value", "'expires_after.seconds' must be between 10 and 7200.", "expires_after.seconds"
        )
    if isinstance(expires, dict) and expires.get("anchor", "created_at") != "created_at":
        return _error(400, "invalid_value", "'expires_after.anchor' must be 'created_at'.", "expires_after.anchor")
    state: SimulatorState = request.app.state.simulator
    full = merge_session(default_session(str(session.get("model", "gpt-realtime"))), session)
    value, expires_at = state.mint_ephemeral_key(seconds, full)
    return JSONResponse({"value": value, "expires_at": expires_at, "session": full})


async def chat_completions(request: Request) -> JSONResponse:
    body = await _json_body(request)
    if isinstance(body, JSONResponse):
        return body
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return _error(400, "invalid_value", "'messages' must be a non-empty array of message objects.", "messages")
    model = request.path_params.get("deployment") or str(body.get("model") or "")
    if not model:
        return _error(400, "missing_required_parameter", "Missing required parameter: 'model'.", "model")
    return JSONResponse(chat_completion(body, model, int(time.time()), new_id("chatcmpl")))


def create_app(state: SimulatorState) -> Starlette:
    """The simulator app around `state` (tests keep the state to inspect sessions)."""
    app = Starlette(
        routes=[
            WebSocketRoute("/openai/v1/realtime", realtime_socket),
            Route("/openai/v1/realtime/client_secrets", client_secrets, methods=["POST"]),
            Route("/openai/v1/realtime/calls", create_call, methods=["POST"]),
            Route("/openai/v1/realtime/calls/{call_id}/hangup", hang_up, methods=["POST"]),
            Route("/openai/deployments/{deployment}/chat/completions", chat_completions, methods=["POST"]),
            Route("/openai/v1/chat/completions", chat_completions, methods=["POST"]),
            *fault_routes(),  # test-only switches: drop sessions, refuse connections
        ],
        # Browsers post their SDP offer cross-origin, as they do to Azure OpenAI.
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["POST"],
                allow_headers=["authorization", "content-type"],
                expose_headers=["location"],
            )
        ],
        lifespan=lifespan,
    )
    app.state.simulator = state
    app.state.rtc = RtcCalls()  # live WebRTC sessions (webrtc.py)
    return app

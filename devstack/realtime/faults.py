"""Fault switches of the Realtime simulator, over HTTP, for tests that run it as a separate process.

`GET /simulator/faults` shows the switches and how many sessions are live; `POST /simulator/faults`
with `{"refuse_connections": bool}` and/or `{"drop_sessions": true, "code": 1011}` flips them.
Protected by the same key as the API (`api-key` header), so a stray client cannot break a demo.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devstack.realtime.state import SimulatorState

# Close codes a dropped session may use: what a service failure or restart looks like to the client.
DROP_CODES = frozenset({1001, 1011, 1012, 1013})


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _status(state: SimulatorState, dropped: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"refuse_connections": state.refuse_connections, "live_sessions": len(state.sockets)}
    if dropped is not None:
        body["dropped"] = dropped
    return JSONResponse(body)


async def faults(request: Request) -> JSONResponse:
    state: SimulatorState = request.app.state.simulator
    if not state.authorize(request.headers):
        return _error(401, "invalid_api_key", "Access denied due to invalid api-key or bearer token.")
    if request.method == "GET":
        return _status(state)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return _error(400, "invalid_json", "The request body is not valid JSON.")
    if not isinstance(body, dict) or set(body) - {"refuse_connections", "drop_sessions", "code"}:
        return _error(400, "invalid_value", "Expected an object with refuse_connections, drop_sessions and code.")
    refuse = body.get("refuse_connections")
    if refuse is not None and not isinstance(refuse, bool):
        return _error(400, "invalid_value", "'refuse_connections' must be true or false.")
    code = body.get("code", 1011)
    if isinstance(code, bool) or code not in DROP_CODES:
        return _error(400, "invalid_value", f"'code' must be one of {sorted(DROP_CODES)}.")
    if refuse is not None:
        state.refuse_connections = refuse
    dropped = await state.drop_sessions(code) if body.get("drop_sessions") is True else None
    return _status(state, dropped)


def fault_routes() -> list[Route]:
    return [Route("/simulator/faults", faults, methods=["GET", "POST"])]

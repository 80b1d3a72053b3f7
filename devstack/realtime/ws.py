"""WebSocket transport of the Realtime simulator: `/openai/v1/realtime?model=...`.

Reads client events, validates them (`protocol.py`), feeds the `Conversation`, and writes every
server event back as JSON text. Malformed events get `error` events and the session goes on, like
the real service; only a failed authentication closes the socket (1008).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from devstack.realtime.conversation import Conversation
from devstack.realtime.protocol import ClientEventError, error_event, parse_client_event
from devstack.realtime.state import SimulatorState

log = logging.getLogger("devstack.realtime.ws")


async def realtime_socket(websocket: WebSocket) -> None:
    state: SimulatorState = websocket.app.state.simulator
    if not state.authorize(websocket.headers):
        # Like the service: a 401 on the handshake (clients see it as a refused upgrade).
        error = {
            "error": {"code": "invalid_api_key", "message": "Access denied due to invalid api-key or bearer token."}
        }
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            await websocket.send_denial_response(JSONResponse(error, status_code=401))
        else:
            await websocket.close(code=1008, reason="invalid api-key or bearer token")
        return
    if state.refuse_connections:
        await websocket.close(code=1013, reason="simulator refusing connections")
        return
    model = websocket.query_params.get("model", "")
    if not model:
        await websocket.close(code=1008, reason="the 'model' query parameter is required")
        return
    await websocket.accept()
    send_lock = asyncio.Lock()

    async def emit(event: dict[str, Any]) -> None:
        async with send_lock:
            # The client may be gone mid-response: its events are dropped and the receive loop,
            # which sees the disconnect, ends the session (a send must not fail the response task).
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await websocket.send_text(json.dumps(event))

    conversation = Conversation(
        state.make_agent(),
        state.voice,
        emit,
        model=model,
        speedup=state.speedup,
        late_transcription=state.transcription_is_late,
    )
    state.conversations.append(conversation)
    state.sockets[id(conversation)] = websocket
    try:
        await conversation.start()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text") if message.get("text") is not None else message.get("bytes")
            try:
                event = parse_client_event(text or "")
            except ClientEventError as exc:
                await emit(error_event(exc))
                continue
            state.received_types.append(event["type"])
            await conversation.handle(event)
    except (WebSocketDisconnect, RuntimeError):
        pass  # client went away mid-send
    finally:
        await conversation.close()
        state.sockets.pop(id(conversation), None)

"""A browser's Voice Live session: browser WebSocket <-> Voice Live, through the bridge.

Voice Live offers no credential a browser may hold (docs/voice-live.md), so a web session of a Voice
Live agent runs here: the browser speaks the Realtime GA protocol over a WebSocket to the bridge
(`/web/realtime`, admitted by a short-lived token from `/api/session`), and the bridge holds the Voice
Live session with its managed identity. The bridge sets the agent's session itself (from the function
app, as for a phone call), forwards only the client events a conversation needs, and renames Voice
Live's preview event names to the GA ones the browser's WebRTC path already understands, so the front
end handles both paths with one event parser. Tools stay in the browser, as on the WebRTC path: it
posts them to `/api/function-call` (the web channel's tools, origin check and rate limit) and records
the conversation itself (frontend/src/realtime/recorder.ts).
"""

from __future__ import annotations

import asyncio
import logging
import time

import orjson

from bridge import realtime_protocol as rt
from bridge.function_app_client import FunctionAppError
from bridge.model_connection import ModelConnectError
from bridge.relay import CallLog, RelayDeps
from bridge.tokens import WebGrant
from bridge.websocket import CloseCode, Message, PushConnection

log = logging.getLogger("bridge.web")

# What a browser may send: audio, its barge-in truncation, tool outputs, handoffs and responses.
# The same rights a Realtime ephemeral key gives a browser on the WebRTC path.
BROWSER_EVENTS = frozenset(
    {
        "input_audio_buffer.append",
        "input_audio_buffer.clear",
        "input_audio_buffer.commit",
        "conversation.item.create",
        "conversation.item.truncate",
        "response.create",
        "response.cancel",
        "session.update",
    }
)
# Voice Live keeps the preview names of the audio events; the browser understands the GA ones.
_GA_NAMES = {
    "response.audio.delta": "response.output_audio.delta",
    "response.audio.done": "response.output_audio.done",
    "response.audio_transcript.delta": "response.output_audio_transcript.delta",
    "response.audio_transcript.done": "response.output_audio_transcript.done",
}
# A session.update from the browser may not move the session to another model or voice service.
_BROWSER_SESSION_FIELDS = frozenset({"instructions", "tools", "tool_choice", "turn_detection", "temperature"})


def to_browser(message: Message) -> str | None:
    """A Voice Live server event as the browser gets it (GA event names); None for what is not JSON."""
    try:
        event = orjson.loads(message)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(event, dict):
        return None
    kind = event.get("type")
    if isinstance(kind, str) and kind in _GA_NAMES:
        event["type"] = _GA_NAMES[kind]
    return orjson.dumps(event).decode()


def from_browser(message: Message) -> tuple[str | None, str]:
    """A browser client event checked for the model: (text to forward or None, why it was refused)."""
    if isinstance(message, bytes):
        return None, "binary frames are not supported"
    try:
        event = orjson.loads(message)
    except orjson.JSONDecodeError:
        return None, "not JSON"
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return None, "an event needs a type"
    kind = event["type"]
    if kind not in BROWSER_EVENTS:
        return None, f"{kind[:60]} is not allowed here"
    if kind == "session.update":
        session = event.get("session")
        if not isinstance(session, dict):
            return None, "session.update needs a session"
        event["session"] = {k: v for k, v in session.items() if k in _BROWSER_SESSION_FIELDS}
        return orjson.dumps(event).decode(), ""
    return message, ""


def _error_event(message: str) -> str:
    return orjson.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": message}}).decode()


class WebRelay:
    """Relays one browser session until either side closes or a limit is reached."""

    def __init__(self, browser: PushConnection, grant: WebGrant, deps: RelayDeps) -> None:
        self.grant = grant
        self._browser = browser
        self._deps = deps
        self._log = CallLog(log, {"call_id": grant.session_id})
        self._model: PushConnection | None = None
        self._ended = asyncio.Event()
        self._close: tuple[CloseCode, str] = (CloseCode.NORMAL_CLOSURE, "session ended")
        self._last_browser_at = time.monotonic()

    def finish(self, code: CloseCode, text: str) -> None:
        """End the session (first reason wins)."""
        if not self._ended.is_set():
            self._close = (code, text)
            self._ended.set()

    async def run(self) -> None:
        """Open the agent's Voice Live session, relay until the end, close the model first. Never raises."""
        tasks: list[asyncio.Task[None]] = []
        try:
            if await self._open():
                assert self._model is not None
                self._model.set_handler(self._on_model_message)
                self._browser.set_handler(self._on_browser_message)  # what arrived meanwhile goes first
                tasks = [
                    asyncio.create_task(self._watch(self._browser, CloseCode.NORMAL_CLOSURE, "browser closed")),
                    asyncio.create_task(self._watch(self._model, CloseCode.INTERNAL_ERROR, "model unavailable")),
                    asyncio.create_task(self._watch_limits()),
                ]
                await self._ended.wait()
        except Exception:
            self._log.exception("web relay crashed")
            self.finish(CloseCode.INTERNAL_ERROR, "bridge error")
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._model is not None:
                await self._model.close()  # first: the model session is billed while open
            code, text = self._close
            await self._browser.close(code, text)
            self._log.info("web session ended (close %d %s)", code, code.name)

    async def _open(self) -> bool:
        try:
            agent = await self._deps.function_app.get_web_agent(self.grant.session_id, self.grant.agent)
        except FunctionAppError as exc:
            self._log.warning("no web agent configuration: %s", exc)
            if exc.status == 404:
                self.finish(CloseCode.POLICY_VIOLATION, "unknown agent")
            else:
                self.finish(CloseCode.INTERNAL_ERROR, "agent configuration unavailable")
            return False
        if agent.backend != "voice-live":
            self.finish(CloseCode.POLICY_VIOLATION, "agent is not on Voice Live")
            return False
        try:
            self._model = await self._deps.connector.open(agent.backend, agent.model)
        except ModelConnectError as exc:
            self._log.error("model session could not be opened: %s", exc)
            self.finish(CloseCode.INTERNAL_ERROR, "model unavailable")
            return False
        if not self._model.send_now(rt.session_update(agent.session)):
            self.finish(CloseCode.INTERNAL_ERROR, "model unavailable")
            return False
        self._log.info("web session connected: agent=%s", agent.agent)
        return True

    def _on_browser_message(self, message: Message) -> None:
        if self._ended.is_set():
            return
        self._last_browser_at = time.monotonic()
        text, refusal = from_browser(message)
        if text is None:
            if isinstance(message, bytes):
                self.finish(CloseCode.UNSUPPORTED_DATA, refusal)
            else:
                self._browser.send_now(_error_event(refusal))
            return
        if self._model is not None:
            self._model.send_now(text)

    def _on_model_message(self, message: Message) -> None:
        if self._ended.is_set():
            return
        text = to_browser(message)
        if text is not None:
            self._browser.send_now(text)

    async def _watch(self, connection: PushConnection, code: CloseCode, text: str) -> None:
        await connection.wait_closed()
        self.finish(code, text)

    async def _watch_limits(self) -> None:
        """End the session at the maximum duration or when the browser stops sending audio."""
        settings = self._deps.settings
        deadline = time.monotonic() + settings.max_call_seconds
        while True:
            now = time.monotonic()
            if now >= deadline:
                self.finish(CloseCode.NORMAL_CLOSURE, "maximum session duration reached")
                return
            idle_at = self._last_browser_at + settings.idle_timeout_seconds
            if now >= idle_at:
                self.finish(CloseCode.NORMAL_CLOSURE, "no audio from the browser")
                return
            await asyncio.sleep(min(deadline, idle_at) - now + 0.01)

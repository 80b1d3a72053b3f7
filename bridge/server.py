"""The bridge's WebSocket server: `/acs/media/{call_id}` plus health, readiness and metrics.

`_process_request` is the one place a request's path, query and headers are checked, before the
upgrade: unknown path 404, bad token 401/403, draining 503, so a refused client never costs a model
session. Capacity is checked after the upgrade and answered with close code 1013 (try again later),
which ACS and load balancers understand as "another replica, please". The sockets are picows
connections adapted in `bridge/websocket.py`; nothing else here knows the library.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Coroutine
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from multidict import CIMultiDict
from picows import WSListener, WSUpgradeRequest, WSUpgradeResponse, WSUpgradeResponseWithListener, ws_create_server

from bridge.acs_keys import AcsMediaAuth
from bridge.function_app_client import FunctionAppClient
from bridge.metrics import BridgeMetrics
from bridge.model_connection import ModelConnector
from bridge.pacer import Pacer
from bridge.relay import CallRelay, RelayDeps
from bridge.session import EndReason
from bridge.settings import BridgeSettings
from bridge.telemetry import BridgeTelemetry
from bridge.tokens import TokenError, UsedTokens, WebGrant, WebTokenError, verify_media_token, verify_web_token
from bridge.web_relay import WebRelay
from bridge.websocket import CloseCode, PushConnection

log = logging.getLogger("bridge.server")

_MEDIA_PATH = re.compile(r"/acs/media/([A-Za-z0-9._:-]{1,128})")
WEB_PATH = "/web/realtime"  # a browser's Voice Live session (bridge/web_relay.py)
_AGENT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A browser sends 24 kHz PCM in base64 (~6.4 KB per 100 ms chunk) and small JSON events.
MAX_WEB_MESSAGE_BYTES = 256 * 1024
MAX_WEB_WRITE_BUFFER = 1024 * 1024  # agent audio arrives faster than real time and the browser buffers it
# ACS frames are ~1.3 KB; anything near this is not audio. Larger messages are closed with 1009.
MAX_ACS_MESSAGE_BYTES = 64 * 1024
# Audio queued for a caller whose socket stopped reading before it is cut off: ~4 s of 24 kHz
# frames. The pacer sends in real time, so a healthy peer never has more than a few frames queued.
MAX_ACS_WRITE_BUFFER = 256 * 1024


def _json_response(status: HTTPStatus, body: object) -> WSUpgradeResponse:
    payload = json.dumps(body).encode()
    return _response(status, payload, "application/json")


def _response(status: HTTPStatus, body: bytes, content_type: str) -> WSUpgradeResponse:
    headers = {"Content-Type": content_type}
    response: WSUpgradeResponse
    if status is HTTPStatus.OK:
        response = WSUpgradeResponse.create_ok_response(body, headers)
    else:
        response = WSUpgradeResponse.create_error_response(status, body, headers)
    return response


def _error(status: HTTPStatus, code: str, message: str) -> WSUpgradeResponse:
    return _json_response(status, {"error": {"code": code, "message": message}})


class BridgeServer:
    """Accepts ACS media connections and runs one `CallRelay` per call."""

    def __init__(
        self,
        settings: BridgeSettings,
        *,
        function_app: FunctionAppClient | None = None,
        connector: ModelConnector | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = BridgeMetrics()
        self._deps = RelayDeps(
            settings=settings,
            function_app=function_app or FunctionAppClient(settings.function_app_url, settings.function_app_key),
            connector=connector or ModelConnector(settings),
            metrics=self.metrics,
            pacer=Pacer(),
            telemetry=BridgeTelemetry(self.metrics),
        )
        self.relays: dict[str, CallRelay] = {}  # call id -> live relay
        self.draining = False
        self._no_calls = asyncio.Event()  # set whenever no call is live (drain waits on it)
        self._no_calls.set()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()  # one per accepted media connection
        self._acs_auth = AcsMediaAuth(settings)  # ACS's handshake JWT (bridge/acs_auth.py)
        self.web_sessions: set[WebRelay] = set()  # live browser sessions (they count against max_calls)
        self._used_tokens = UsedTokens()
        self._web_hits: dict[str, list[float]] = {}  # client -> browser session starts in the last minute

    @property
    def port(self) -> int:
        """The bound port (useful when started with port 0)."""
        assert self._server is not None
        return int(next(iter(self._server.sockets)).getsockname()[1])

    async def start(self) -> None:
        await self._acs_auth.start()
        self._server = await ws_create_server(
            self._accept,
            self.settings.host,
            self.settings.port,
            websocket_handshake_timeout=10.0,
            max_frame_size=MAX_ACS_MESSAGE_BYTES,
            # ACS streams audio without pause, so a ping only goes out when a caller falls silent
            # at the TCP level; 20 s without a pong ends that connection (close 1001).
            enable_auto_ping=True,
            auto_ping_idle_timeout=20.0,
            auto_ping_reply_timeout=20.0,
            logger_name="server",  # picows.server
        )  # picows does not negotiate permessage-deflate: PCM in base64 does not compress anyway
        log.info("bridge listening on %s:%d", self.settings.host, self.port)

    def _accept(self, request: WSUpgradeRequest) -> WSListener | WSUpgradeResponseWithListener:
        """picows' listener factory: refuse with an HTTP answer, or accept with a media connection."""
        target = request.path.decode("latin-1")
        if urlsplit(target).path == WEB_PATH:
            return self._accept_web(target, request.headers)
        refusal = self._process_request(target, request.headers)
        if refusal is not None:
            return WSUpgradeResponseWithListener(refusal, None)
        match = _MEDIA_PATH.fullmatch(urlsplit(target).path)
        assert match is not None  # _process_request let only media paths through
        connection = PushConnection(
            max_message=MAX_ACS_MESSAGE_BYTES,
            max_write_buffer=MAX_ACS_WRITE_BUFFER,
            close_timeout=2.0,
            name=f"call {match.group(1)}",
        )
        connection.on_open = lambda opened: self._start_handler(opened, match.group(1))
        return connection

    def _accept_web(self, target: str, headers: CIMultiDict[str]) -> PushConnection:
        """A browser's socket: checks run before anything is opened; a refusal closes with a 44xx code.

        The upgrade is accepted even for a refusal because a browser's WebSocket API hides the HTTP
        status of a refused handshake; a close code is the only reason it can show the user.
        """
        connection = PushConnection(
            max_message=MAX_WEB_MESSAGE_BYTES, max_write_buffer=MAX_WEB_WRITE_BUFFER, close_timeout=2.0, name="web"
        )
        query = parse_qs(urlsplit(target).query)
        agent = next(iter(query.get("agent", [])), "")
        token = next(iter(query.get("token", [])), None)
        origin = (headers.get("Origin") or "").rstrip("/")
        # The last hop is the one the ingress appended (earlier ones are the client's to invent).
        forwarded = (headers.get("X-Forwarded-For") or "").split(",")[-1].strip()

        def opened(conn: PushConnection) -> None:
            refusal, grant = self._check_web(origin, agent, token, forwarded or conn.peer_host)
            if grant is None:
                self._start_task(conn.close(*refusal), "web:refused")
            else:
                self._start_task(self._handle_web(conn, grant), f"web:{grant.session_id}")

        connection.on_open = opened
        return connection

    def _check_web(
        self, origin: str, agent: str, token: str | None, client: str
    ) -> tuple[tuple[CloseCode, str], WebGrant | None]:
        """Origin, draining, rate limit, then the token (spent only when everything else passed)."""
        refusal: tuple[str, CloseCode, str] | None = None
        grant: WebGrant | None = None
        if not origin or origin not in self.settings.web_allowed_origins:
            refusal = ("web_origin", CloseCode.FORBIDDEN, "origin not allowed")
        elif self.draining:
            refusal = ("draining", CloseCode.TRY_AGAIN_LATER, "bridge shutting down")
        elif not _AGENT_NAME.fullmatch(agent):
            refusal = ("web_agent", CloseCode.POLICY_VIOLATION, "agent missing or malformed")
        elif not self._web_rate_ok(client):
            refusal = ("web_rate_limited", CloseCode.RATE_LIMITED, "too many sessions; retry in a minute")
        else:
            try:
                grant = verify_web_token(token, agent, self.settings.call_token_secret)
            except WebTokenError as exc:
                refusal = (exc.problem.code, CloseCode(exc.problem.close_code), exc.message)
            else:
                if not self._used_tokens.claim(grant):
                    refusal, grant = ("token_already_used", CloseCode.UNAUTHORIZED, "token already used"), None
        if refusal is None and grant is not None:
            return (CloseCode.NORMAL_CLOSURE, ""), grant
        assert refusal is not None
        self.metrics.refuse(refusal[0])
        log.warning("web session for agent %r refused: %s", agent[:64], refusal[0])
        return (refusal[1], refusal[2]), None

    def _web_rate_ok(self, client: str) -> bool:
        """A sliding one-minute window of browser session starts per client address."""
        now = time.monotonic()
        hits = [t for t in self._web_hits.pop(client, []) if now - t < 60.0]
        allowed = len(hits) < self.settings.web_sessions_per_minute
        if allowed:
            hits.append(now)
        self._web_hits[client] = hits
        while len(self._web_hits) > 10_000:
            del self._web_hits[next(iter(self._web_hits))]
        return allowed

    def _start_task(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _handle_web(self, connection: PushConnection, grant: WebGrant) -> None:
        if len(self.relays) + len(self.web_sessions) >= self.settings.max_calls:
            self.metrics.refuse("capacity")
            await connection.close(CloseCode.TRY_AGAIN_LATER, "bridge at capacity")
            return
        relay = WebRelay(connection, grant, self._deps)
        self.web_sessions.add(relay)
        try:
            await relay.run()
        finally:
            self.web_sessions.discard(relay)

    def _process_request(self, target: str, headers: CIMultiDict[str]) -> WSUpgradeResponse | None:
        """Answer health, readiness and metrics, or refuse a media request; None lets the upgrade go on.

        Args:
            target: the request target (path and query) of the HTTP GET.
            headers: the request's headers (case-insensitive).
        """
        url = urlsplit(target)
        if url.path == "/healthz":
            return _json_response(HTTPStatus.OK, {"status": "ok"})
        if url.path == "/readyz":
            if self.draining:
                return _error(HTTPStatus.SERVICE_UNAVAILABLE, "draining", "the bridge is shutting down")
            if len(self.relays) >= self.settings.max_calls:
                return _error(HTTPStatus.SERVICE_UNAVAILABLE, "at_capacity", "the bridge is at its call limit")
            return _json_response(HTTPStatus.OK, {"status": "ready", "active_calls": len(self.relays)})
        if url.path == "/metrics":
            return _response(HTTPStatus.OK, self.metrics.render().encode(), "text/plain; version=0.0.4")
        match = _MEDIA_PATH.fullmatch(url.path)
        if match is None:
            return _error(HTTPStatus.NOT_FOUND, "not_found", "no such endpoint")
        call_id = match.group(1)
        token = next(iter(parse_qs(url.query).get("token", [])), None)
        try:
            verify_media_token(token, call_id, self.settings.call_token_secret)
            self._acs_auth.verify(headers.get("Authorization"))  # both proofs are required
        except TokenError as exc:
            self.metrics.refuse(exc.problem.code)
            log.warning("call %s: media connection refused: %s", call_id, exc.problem.code)
            return _error(HTTPStatus(exc.problem.status), exc.problem.code, exc.message)
        if self.draining:
            self.metrics.refuse("draining")
            return _error(HTTPStatus.SERVICE_UNAVAILABLE, "draining", "the bridge is shutting down")
        return None

    def _start_handler(self, connection: PushConnection, call_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._handle(connection, call_id), name=f"{call_id}:handler")
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _handle(self, connection: PushConnection, call_id: str) -> None:
        if len(self.relays) >= self.settings.max_calls:
            self.metrics.refuse("capacity")
            log.warning("call %s: refused, at capacity (%d calls)", call_id, len(self.relays))
            await connection.close(CloseCode.TRY_AGAIN_LATER, "bridge at capacity")
            return
        if call_id in self.relays:
            self.metrics.refuse("duplicate")
            log.warning("call %s: refused, the call already has a media connection", call_id)
            await connection.close(CloseCode.POLICY_VIOLATION, "call already connected")
            return
        relay = CallRelay(connection, call_id, self._deps)
        self.relays[call_id] = relay
        self._no_calls.clear()
        self.metrics.active_calls += 1
        self.metrics.calls_total += 1
        try:
            await relay.run()
        finally:
            del self.relays[call_id]
            self.metrics.active_calls -= 1
            if not self.relays:
                self._no_calls.set()

    async def drain(self) -> None:
        """Stop accepting calls, let live calls finish up to the drain deadline, then end them (1001)."""
        self.draining = True
        if self._server is not None:
            self._server.close()  # stop listening; live calls go on (asyncio.Server keeps them)
        log.info("draining: %d live calls, up to %.0f s", len(self.relays), self.settings.drain_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._no_calls.wait(), self.settings.drain_seconds)
        for relay in list(self.relays.values()):
            relay.stop(EndReason.DRAIN, CloseCode.GOING_AWAY, "bridge shutting down")
        for web in list(self.web_sessions):  # a browser can start a new session on another replica
            web.finish(CloseCode.GOING_AWAY, "bridge shutting down")
        with contextlib.suppress(TimeoutError):  # teardown takes well under a second per call
            await asyncio.wait_for(self._no_calls.wait(), 15.0)

    async def aclose(self) -> None:
        """Close the listener and shared clients (after `drain`)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):  # refusals still closing; calls are gone after `drain`
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._deps.pacer.aclose()
        await self._deps.function_app.aclose()
        await self._deps.connector.aclose()
        await self._acs_auth.aclose()

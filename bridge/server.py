"""The bridge's WebSocket server: `/acs/media/{call_id}` plus health, readiness and metrics.

`process_request` refuses anything that should not become a call before the upgrade (unknown
path: 404, bad token: 401/403, draining: 503), so a refused client never costs a model session.
Capacity is checked after the upgrade and answered with close code 1013 (try again later), which
ACS and load balancers understand as "another replica, please".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from bridge.acs_keys import AcsMediaAuth
from bridge.function_app_client import FunctionAppClient
from bridge.metrics import BridgeMetrics
from bridge.model_connection import ModelConnector
from bridge.pacer import Pacer
from bridge.relay import CallRelay, RelayDeps
from bridge.session import EndReason
from bridge.settings import BridgeSettings
from bridge.telemetry import BridgeTelemetry
from bridge.tokens import TokenError, verify_media_token
from bridge.websocket import PushServerConnection

log = logging.getLogger("bridge.server")

_MEDIA_PATH = re.compile(r"/acs/media/([A-Za-z0-9._:-]{1,128})")
# ACS frames are ~1.3 KB; anything near this is not audio. Larger frames are closed with 1009.
MAX_ACS_MESSAGE_BYTES = 64 * 1024


def _json_response(status: HTTPStatus, body: object) -> Response:
    payload = json.dumps(body).encode()
    headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return Response(status.value, status.phrase, headers, payload)


def _error(status: HTTPStatus, code: str, message: str) -> Response:
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
        self._server: Server | None = None
        self._acs_auth = AcsMediaAuth(settings)  # ACS's handshake JWT (bridge/acs_auth.py)

    @property
    def port(self) -> int:
        """The bound port (useful when started with port 0)."""
        assert self._server is not None
        return int(next(iter(self._server.sockets)).getsockname()[1])

    async def start(self) -> None:
        await self._acs_auth.start()
        self._server = await serve(
            self._handle,
            self.settings.host,
            self.settings.port,
            process_request=self._process_request,
            max_size=MAX_ACS_MESSAGE_BYTES,
            create_connection=PushServerConnection,  # messages go to the relay's handler (websocket.py)
            compression=None,  # PCM in base64 does not compress; deflate would only cost CPU
            close_timeout=2.0,
            server_header=None,
        )
        log.info("bridge listening on %s:%d", self.settings.host, self.port)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if url.path == "/healthz":
            return _json_response(HTTPStatus.OK, {"status": "ok"})
        if url.path == "/readyz":
            if self.draining:
                return _error(HTTPStatus.SERVICE_UNAVAILABLE, "draining", "the bridge is shutting down")
            if len(self.relays) >= self.settings.max_calls:
                return _error(HTTPStatus.SERVICE_UNAVAILABLE, "at_capacity", "the bridge is at its call limit")
            return _json_response(HTTPStatus.OK, {"status": "ready", "active_calls": len(self.relays)})
        if url.path == "/metrics":
            body = self.metrics.render().encode()
            headers = Headers([("Content-Type", "text/plain; version=0.0.4"), ("Content-Length", str(len(body)))])
            return Response(200, "OK", headers, body)
        match = _MEDIA_PATH.fullmatch(url.path)
        if match is None:
            return _error(HTTPStatus.NOT_FOUND, "not_found", "no such endpoint")
        call_id = match.group(1)
        token = next(iter(parse_qs(url.query).get("token", [])), None)
        try:
            verify_media_token(token, call_id, self.settings.call_token_secret)
            self._acs_auth.verify(request.headers.get("Authorization"))  # both proofs are required
        except TokenError as exc:
            self.metrics.refuse(exc.problem.code)
            log.warning("call %s: media connection refused: %s", call_id, exc.problem.code)
            return _error(HTTPStatus(exc.problem.status), exc.problem.code, exc.message)
        if self.draining:
            self.metrics.refuse("draining")
            return _error(HTTPStatus.SERVICE_UNAVAILABLE, "draining", "the bridge is shutting down")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        assert isinstance(connection, PushServerConnection) and connection.request is not None
        match = _MEDIA_PATH.fullmatch(urlsplit(connection.request.path).path)
        assert match is not None  # process_request let only media paths through
        call_id = match.group(1)
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
            self._server.close(close_connections=False)  # stop listening; live calls go on
        log.info("draining: %d live calls, up to %.0f s", len(self.relays), self.settings.drain_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._no_calls.wait(), self.settings.drain_seconds)
        for relay in list(self.relays.values()):
            relay.stop(EndReason.DRAIN, CloseCode.GOING_AWAY, "bridge shutting down")
        with contextlib.suppress(TimeoutError):  # teardown takes well under a second per call
            await asyncio.wait_for(self._no_calls.wait(), 15.0)

    async def aclose(self) -> None:
        """Close the listener and shared clients (after `drain`)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self._deps.pacer.aclose()
        await self._deps.function_app.aclose()
        await self._deps.connector.aclose()
        await self._acs_auth.aclose()

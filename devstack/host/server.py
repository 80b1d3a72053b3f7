"""The host's ASGI application: routes requests to the app's functions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from devstack.durable.clock import Clock, RealClock
from devstack.host.app_settings import LocalSettings, load_local_settings
from devstack.host.event_grid import EventGridError, parse_delivery, to_event, validation_response
from devstack.host.function_index import FunctionIndex, HttpFunction, index_functions, load_functions
from devstack.host.host_config import HostConfig, load_host_config
from devstack.host.invocation import call_function, to_http_request, to_response
from devstack.host.timers import TimerScheduler

log = logging.getLogger("devstack.host")

MAX_REQUEST_BYTES = 100 * 1024 * 1024  # the Functions front end's limit


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def read_limited(request: Request, limit: int = MAX_REQUEST_BYTES) -> bytes | None:
    """The body, or None when it exceeds `limit` (read no further than the limit)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class FunctionsHost:
    """One hosted app: its settings, host.json, its function index, timers, and (when used) the Durable engine.

    `durable_clock` is the time source of durable timers and timer triggers alike (a `VirtualClock`
    in tests); the wall clock by default.
    """

    def __init__(
        self,
        app_dir: Path,
        *,
        static_dir: Path | None = None,
        data_dir: Path | None = None,
        durable_clock: Clock | None = None,
        settings: LocalSettings | None = None,
        config: HostConfig | None = None,
    ) -> None:
        self.app_dir = app_dir.resolve()
        self.settings: LocalSettings = settings or load_local_settings(self.app_dir)
        for name, value in self.settings.values.items():
            os.environ.setdefault(name, value)  # as Core Tools: the real environment wins
        self.config: HostConfig = config or load_host_config(self.app_dir, dict(os.environ))
        self.clock: Clock = durable_clock or RealClock()
        self.static_dir = static_dir if static_dir and (static_dir / "index.html").exists() else None
        self.data_dir = (data_dir or self.app_dir / ".data").resolve()
        self.index: FunctionIndex = index_functions(load_functions(self.app_dir), dict(os.environ))
        self.durable: Any = self._create_durable() if self.index.needs_durable else None
        self.timers = TimerScheduler(self.index.timers, self.clock, self._invoke_timer)

    def _create_durable(self) -> Any:
        """The local Durable engine for apps with orchestrations or durable clients."""
        from devstack.durable import create_engine  # devstack-only; imported when an app needs it

        return create_engine(self.index.functions, self.data_dir, self.config, self.clock)

    # -- HTTP triggers ------------------------------------------------------------------------

    def _authorised(self, fn: HttpFunction, request: Request) -> bool:
        key = request.headers.get("x-functions-key") or request.query_params.get("code")
        if fn.auth_level == "anonymous":
            return True
        if fn.auth_level == "admin":
            return self.settings.keys.allows_admin(key)
        return self.settings.keys.allows_function(key)

    async def handle_api(self, request: Request) -> Response:
        path = request.path_params["path"]
        matches = self.index.find_http(path)
        if not matches:
            if not self.config.route_prefix and request.method in ("GET", "HEAD"):
                return await self.handle_static(request)  # functions and the site share the root
            return _error(404, "not_found", f"no function serves {self._api_root()}{path}")
        allowed = [(fn, params) for fn, params in matches if request.method in fn.methods]
        if not allowed:
            methods = sorted({m for fn, _ in matches for m in fn.methods})
            return Response(status_code=405, headers={"Allow": ", ".join(methods)})
        fn, params = allowed[0]
        if not self._authorised(fn, request):
            return _error(401, "unauthorized", "a valid function key is required (x-functions-key or ?code=)")
        body = await read_limited(request)
        if body is None:
            return _error(413, "payload_too_large", f"request body exceeds {MAX_REQUEST_BYTES} bytes")
        arguments: dict[str, Any] = {fn.trigger_name: to_http_request(request, body, params)}
        arguments.update(self._client_bindings(fn.name, request))
        return to_response(await self._invoke(fn.name, fn.function, arguments))

    def _client_bindings(self, name: str, request: Request | None) -> dict[str, Any]:
        bindings = self.index.client_bindings.get(name, [])
        if not bindings:
            return {}
        if request is not None:
            base = f"{request.url.scheme}://{request.url.netloc}"
        else:
            # No request to learn the address from (a timer): WEBSITE_HOSTNAME, as Azure and Core Tools set it.
            base = "http://" + os.environ.get("WEBSITE_HOSTNAME", "127.0.0.1:7071")
        return {arg: self.durable.client_binding(base, task_hub or None) for arg, task_hub in bindings}

    async def _invoke_timer(self, name: str, function: Any, arguments: dict[str, Any]) -> Any:
        return await self._invoke(name, function, {**arguments, **self._client_bindings(name, None)})

    def _api_root(self) -> str:
        return f"/{self.config.route_prefix}/" if self.config.route_prefix else "/"

    async def _invoke(self, name: str, function: Any, arguments: dict[str, Any]) -> Any:
        started = time.perf_counter()
        limit = self.config.function_timeout
        try:
            async with asyncio.timeout(limit.total_seconds() if limit else None):
                result = await call_function(function, arguments)
        except TimeoutError:
            # The host abandons the invocation (a sync function's thread runs on, as a worker would
            # until restarted) and answers 500.
            message = self.config.timeout_message(name)
            log.error("%s", message)
            body = json.dumps({"error": {"code": "function_timeout", "message": message}})
            return Response(body, 500, media_type="application/json")
        except Exception:
            log.exception("function %s failed", name)
            return Response(
                b'{"error":{"code":"internal_error","message":"function failed"}}',
                500,
                media_type="application/json",
            )
        status = getattr(result, "status_code", 200)
        log.info("function %s -> %s in %.1f ms", name, status, (time.perf_counter() - started) * 1000)
        return result

    # -- Event Grid ---------------------------------------------------------------------------

    async def handle_event_grid(self, request: Request) -> Response:
        name = request.query_params.get("functionName", "")
        if name not in self.index.event_grid:
            return _error(404, "not_found", f"no Event Grid function named '{name}'")
        if not self.settings.keys.allows_system("eventgrid_extension", request.query_params.get("code")):
            return _error(401, "unauthorized", "the eventgrid_extension system key is required (?code=)")
        body = await read_limited(request, 1024 * 1024)  # Event Grid's delivery limit
        if body is None:
            return _error(413, "payload_too_large", "Event Grid deliveries are at most 1 MB")
        try:
            events = parse_delivery(body)
            handshake = validation_response(events)
            if handshake is not None:
                return JSONResponse(handshake)
            converted = [to_event(event) for event in events]
        except EventGridError as exc:
            return _error(400, "invalid_event", str(exc))
        arg, function = self.index.event_grid[name]
        bindings = self._client_bindings(name, request)
        for event in converted:
            result = await self._invoke(name, function, {arg: event, **bindings})
            if isinstance(result, Response) and result.status_code >= 500:
                return result  # Event Grid retries the delivery
        return Response(status_code=200)

    # -- static site --------------------------------------------------------------------------

    async def handle_static(self, request: Request) -> Response:
        if self.static_dir is None:
            return _error(404, "not_found", "no front end is built (npm run build in frontend/)")
        relative = request.path_params.get("path", "")
        target = (self.static_dir / relative).resolve()
        if relative and target.is_file() and self.static_dir.resolve() in target.parents:
            return FileResponse(target)
        return FileResponse(self.static_dir / "index.html")  # navigation fallback for the SPA

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route(
                self._api_root() + "{path:path}",
                self.handle_api,
                methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
            ),
            Route("/runtime/webhooks/eventgrid", self.handle_event_grid, methods=["POST", "OPTIONS"]),
        ]
        if self.durable is not None:
            routes += self.durable.routes()
        routes.append(Route("/{path:path}", self.handle_static, methods=["GET", "HEAD"]))
        return routes

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        if self.durable is not None:
            await self.durable.start()
        await self.timers.start()
        try:
            yield
        finally:
            await self.timers.stop()
            if self.durable is not None:
                await self.durable.stop()

    def asgi(self) -> Starlette:
        return Starlette(routes=self.routes(), lifespan=self.lifespan)

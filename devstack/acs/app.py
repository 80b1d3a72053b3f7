"""The ACS simulator's Starlette app: Call Automation REST, OpenID/JWKS, and the control API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.acs import control
from devstack.acs.hmac_auth import decode_access_key
from devstack.acs.rest import handle_calling
from devstack.acs.signing import JWKS_PATH, OPENID_PATH
from devstack.acs.simulator import AcsSimulator, SimulatorConfig


async def openid_configuration(request: Request) -> Response:
    sim: AcsSimulator = request.app.state.simulator
    return JSONResponse(sim.signer.openid_configuration(str(request.base_url)))


async def jwks(request: Request) -> Response:
    sim: AcsSimulator = request.app.state.simulator
    return JSONResponse(sim.signer.jwks())


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 as JSON errors like every other answer."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "NotFound", 405: "MethodNotAllowed"}.get(status, "BadRequest")
    return JSONResponse(
        {"error": {"code": code, "message": f"{request.method} {request.url.path}: {code}"}}, status_code=status
    )


def create_app(config: SimulatorConfig) -> Starlette:
    """Build the app; the simulator (and its HTTP client) lives for the app's lifespan.

    Raises:
        ValueError: the access key is not base64 (the SDK could not sign with it either).
    """
    secret = decode_access_key(config.access_key)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.simulator = AcsSimulator(config)
        try:
            yield
        finally:
            await app.state.simulator.aclose()

    calling_methods = ["GET", "POST", "DELETE", "PUT", "PATCH"]
    routes = [
        Route(OPENID_PATH, openid_configuration),
        Route("/.well-known/acsopenidconfiguration", openid_configuration),
        Route(JWKS_PATH, jwks),
        Route("/calling/{rest:path}", handle_calling, methods=calling_methods),
        Route("/simulator/health", control.health),
        Route("/simulator/calls/inbound", control.place_inbound, methods=["POST"]),
        Route("/simulator/calls", control.list_calls),
        Route("/simulator/calls/{call_id}", control.get_call),
        Route("/simulator/calls/{call_id}/hangup", control.hang_up, methods=["POST"]),
        Route("/simulator/calls/{call_id}/script", control.add_script, methods=["POST"]),
        Route("/simulator/calls/{call_id}/callbacks/replay", control.replay_callback, methods=["POST"]),
        Route("/simulator/calls/{call_id}/audio", control.audio),
        Route("/simulator/recordings/{recording_id}/content", control.recording_content),
        Route("/simulator/behaviours", control.behaviours, methods=["GET", "POST"]),
        Route("/simulator/tokens", control.mint_token, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error})
    app.state.secret = secret
    return app

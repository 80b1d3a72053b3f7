"""Declare an HTTP endpoint once: its Functions route and its OpenAPI description come from here.

`endpoint(...)` registers the function on the blueprint with its route, methods and auth level,
applies its browser guard, wraps it in the JSON error mapping, binds a durable client when asked,
and records an `Operation` that `GET /api/openapi.json` turns into the OpenAPI document -- so the
document cannot drift from the routes the app serves, and no endpoint assembles these by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.functions.decorators.core import AuthLevel

from callcenter.endpoints.guards import BrowserGuard
from callcenter.endpoints.http import Handler, api_handler
from callcenter.errors import CallCenterError


@dataclass(frozen=True)
class Operation:
    """One documented endpoint."""

    route: str
    method: str
    summary: str
    tag: str
    auth: AuthLevel
    request: dict[str, Any] | None = None
    request_content_type: str = "application/json"
    response: dict[str, Any] | None = None
    status: int = 200
    response_content_type: str = "application/json"
    parameters: tuple[dict[str, Any], ...] = ()
    errors: tuple[int, ...] = field(default=(400,))
    guard: BrowserGuard | None = None


OPERATIONS: list[Operation] = []


def endpoint(
    blueprint: Any,
    route: str,
    *,
    method: str,
    summary: str,
    tag: str,
    auth: AuthLevel = AuthLevel.ANONYMOUS,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    status: int = 200,
    parameters: tuple[dict[str, Any], ...] = (),
    errors: tuple[int, ...] = (400,),
    request_content_type: str = "application/json",
    response_content_type: str = "application/json",
    guard: BrowserGuard | None = None,
    durable_client: bool = False,
) -> Callable[[Handler], Any]:
    """Register an HTTP trigger and document it.

    Args:
        guard: checked before the handler runs (browser-facing endpoints).
        durable_client: the handler takes a Durable client as its `client` argument.
    """
    OPERATIONS.append(
        Operation(
            route,
            method,
            summary,
            tag,
            auth,
            request,
            request_content_type,
            response,
            status,
            response_content_type,
            parameters,
            errors,
            guard,
        )
    )

    def register(handler: Handler) -> Any:
        target: Any = api_handler(_guarded(handler, guard) if guard is not None else handler)
        if durable_client:
            target = blueprint.durable_client_input(client_name="client")(target)
        return blueprint.route(route=route, methods=[func.HttpMethod(method)], auth_level=auth)(target)

    return register


def _guarded(handler: Handler, guard: BrowserGuard) -> Handler:
    @functools.wraps(handler)
    async def checked(req: func.HttpRequest, *args: Any, **kwargs: Any) -> func.HttpResponse:
        who = guard.check(req)
        try:
            return await handler(req, *args, **kwargs)
        except CallCenterError:
            guard.refund(who)
            raise

    return checked


def query_parameter(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def path_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }

"""Declare an HTTP endpoint once: its Functions route and its OpenAPI description come from here.

`endpoint(...)` registers the function on the blueprint with its route, methods and auth level,
wraps it in the JSON error mapping, and records an `Operation` that `GET /api/openapi.json` turns
into the OpenAPI document -- so the document cannot drift from the routes the app serves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.functions.decorators.core import AuthLevel

from callcenter.api.http import api_handler


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
) -> Callable[[Any], Any]:
    """Register an HTTP trigger and document it.

    A plain coroutine is wrapped in `api_handler`; a function already wrapped by other binding
    decorators (a durable client) must apply `api_handler` itself, innermost.
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
        )
    )

    def register(handler: Any) -> Any:
        target = api_handler(handler) if callable(handler) and not hasattr(handler, "add_binding") else handler
        return blueprint.route(route=route, methods=[func.HttpMethod(method)], auth_level=auth)(target)

    return register


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

"""Call a user function the way the Python worker does: bindings by name, sync work off the loop."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from typing import Any

import azure.functions as func
from starlette.requests import Request
from starlette.responses import Response

BindingProvider = Callable[[str, str], Any]


async def call_function(function: Any, arguments: dict[str, Any]) -> Any:
    """Run a function's user code with `arguments` (binding name -> value)."""
    user = function.get_user_function()
    accepted = inspect.signature(user).parameters
    kwargs = {name: value for name, value in arguments.items() if name in accepted}
    if inspect.iscoroutinefunction(user):
        return await user(**kwargs)
    return await asyncio.to_thread(user, **kwargs)


def to_http_request(request: Request, body: bytes, route_params: dict[str, str]) -> func.HttpRequest:
    headers = {k.lower(): v for k, v in request.headers.items()}
    if request.client is not None and "x-forwarded-for" not in headers:
        headers["x-forwarded-for"] = request.client.host  # what the Functions front end adds
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=headers,
        params=dict(request.query_params),
        route_params=route_params,
        body=body,
    )


def to_response(result: Any) -> Response:
    """Turn what a function returned into an HTTP response, as the worker does."""
    if isinstance(result, func.HttpResponse):
        headers = dict(result.headers.items())
        media_type = None
        if "content-type" not in {k.lower() for k in headers}:
            media_type = f"{result.mimetype}; charset={result.charset}" if result.charset else result.mimetype
        return Response(result.get_body(), status_code=result.status_code, headers=headers, media_type=media_type)
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status_code=204)
    if isinstance(result, bytes):
        return Response(result, media_type="application/octet-stream")
    if isinstance(result, str):
        return Response(result, media_type="text/plain")
    return Response(json.dumps(result), media_type="application/json")

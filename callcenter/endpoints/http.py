"""Request parsing and the one place where errors become JSON responses."""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import azure.functions as func
from azure.core.exceptions import ServiceRequestError, ServiceResponseError

from callcenter import telemetry
from callcenter.config import get_settings
from callcenter.errors import CallCenterError, InvalidInput, PayloadTooLarge, ServiceUnavailable, UnsupportedMediaType

log = logging.getLogger("callcenter.api")

MAX_JSON_DEPTH = 32
RETRY_AFTER_SECONDS = 5
JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}

Handler = Callable[..., Awaitable[func.HttpResponse]]
# The body of every error response (`error_response`).
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    """A JSON response that is never cached (bodies may carry per-call data)."""
    return func.HttpResponse(
        json.dumps(body, separators=(",", ":"), default=str),
        status_code=status,
        headers={**JSON_HEADERS, **(headers or {})},
    )


def error_response(error: CallCenterError, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return json_response({"error": {"code": error.code, "message": error.message}}, error.status, headers)


def request_id(req: func.HttpRequest) -> str:
    return req.headers.get("x-request-id") or uuid.uuid4().hex


def api_handler(handler: Handler) -> Handler:
    """Turn typed errors into JSON 4xx/5xx responses and anything unexpected into a logged 500.

    Each request is a server span named after the function, in the call's trace when the route
    names a call (`callcenter/telemetry.py`).
    """

    @functools.wraps(handler)
    async def wrapper(req: func.HttpRequest, *args: Any, **kwargs: Any) -> func.HttpResponse:
        call_id = (req.route_params or {}).get("callId")
        with telemetry.call_span(handler.__name__, call_id, headers=req.headers, server=True) as span:
            response = await _respond(handler, req, *args, **kwargs)
            telemetry.record_status(span, response.status_code)
            return response

    return wrapper


async def _respond(handler: Handler, req: func.HttpRequest, *args: Any, **kwargs: Any) -> func.HttpResponse:
    try:
        return await handler(req, *args, **kwargs)
    except CallCenterError as error:
        if error.status >= 500:
            log.warning("%s %s failed: %s", req.method, _path(req), error.message)
        return error_response(error)
    except (ServiceRequestError, ServiceResponseError) as exc:  # the Azure SDK could not reach its service
        log.warning("%s %s: a backing service is unreachable (%s)", req.method, _path(req), type(exc).__name__)
        unavailable = ServiceUnavailable("a backing service is unreachable; try again shortly")
        return error_response(unavailable, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    except Exception:
        rid = request_id(req)
        log.exception("unhandled error in %s %s (request %s)", req.method, _path(req), rid)
        return json_response({"error": {"code": "internal_error", "message": f"internal error (request {rid})"}}, 500)


def _path(req: func.HttpRequest) -> str:
    return str(req.url).split("?", 1)[0]


def read_body(req: func.HttpRequest) -> bytes:
    """The raw body, refused with 413 above MAX_BODY_BYTES before anything parses it."""
    limit = get_settings().max_body_bytes
    declared = req.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body exceeds {limit} bytes")
    body = req.get_body() or b""
    if len(body) > limit:
        raise PayloadTooLarge(f"request body exceeds {limit} bytes")
    return body


def read_json(req: func.HttpRequest, *, required: bool = True) -> Any:
    """Parse the JSON body with size and depth limits.

    Raises:
        PayloadTooLarge: the body is over the limit.
        UnsupportedMediaType: a content type other than JSON was declared.
        InvalidInput: the body is empty (when required), not JSON or nested too deep.
    """
    body = read_body(req)
    content_type = req.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if body and content_type not in {"application/json", "text/json", ""} and not content_type.endswith("+json"):
        raise UnsupportedMediaType(f"expected application/json, got {content_type}")
    if not body.strip():
        if required:
            raise InvalidInput("request body must be a JSON document", code="invalid_json")
        return None
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"request body is not valid JSON: {exc}", code="invalid_json") from None
    except RecursionError:
        raise InvalidInput("request body is nested too deeply", code="invalid_json") from None
    check_depth(value)
    return value


def read_json_object(req: func.HttpRequest, *, required: bool = True) -> dict[str, Any]:
    """Like `read_json`, but the document must be an object."""
    value = read_json(req, required=required)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("request body must be a JSON object", code="invalid_json")
    return value


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse documents nested deeper than `limit` (they cost stack and are never legitimate here)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise InvalidInput(f"JSON nested deeper than {limit} levels", code="invalid_json")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def optional_str(body: dict[str, Any], key: str, *, max_length: int = 200) -> str | None:
    """A string field or None; a value of another type is a 400 naming the field."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"field '{key}' must be a string")
    if len(value) > max_length:
        raise InvalidInput(f"field '{key}' is longer than {max_length} characters")
    return value


def query_int(req: func.HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = req.params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"query parameter '{name}' must be an integer") from None
    if not low <= value <= high:
        raise InvalidInput(f"query parameter '{name}' must be between {low} and {high}")
    return value


def read_valid_json(req: func.HttpRequest, schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """A JSON object body that satisfies `schema` (the same schema the OpenAPI document shows).

    Raises:
        InvalidInput: not JSON, or the object breaks the schema; the message names the field.
    """
    body = read_json_object(req, required=required)
    error = next(iter(_validator(schema).iter_errors(body)), None)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(body)"
        raise InvalidInput(f"{where}: {error.message}", code="invalid_request")
    return body


def _validator(schema: dict[str, Any]) -> Any:
    from callcenter.json_schema import compile_schema

    return compile_schema(schema)

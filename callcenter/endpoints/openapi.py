"""Build the OpenAPI 3.1 document from the `Operation`s the endpoints declared."""

from __future__ import annotations

from typing import Any

from azure.functions.decorators.core import AuthLevel

from callcenter.endpoints.http import ERROR_SCHEMA
from callcenter.endpoints.routing import OPERATIONS, Operation

TITLE = "Agentic Call Center API"
VERSION = "1.0.0"

_ERROR_TEXT = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Rate limited",
    502: "Upstream service failed",
    503: "Feature not configured",
}


def _responses(op: Operation) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "Success"}
    if op.response is not None:
        ok["content"] = {op.response_content_type: {"schema": op.response}}
    responses: dict[str, Any] = {str(op.status): ok}
    for status in op.errors:
        responses[str(status)] = {
            "description": _ERROR_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


def _operation(op: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": f"{op.method.lower()}_{op.route.replace('/', '_').replace('{', '').replace('}', '')}",
        "summary": op.summary,
        "tags": [op.tag],
        "responses": _responses(op),
    }
    if op.parameters:
        document["parameters"] = list(op.parameters)
    if op.request is not None:
        document["requestBody"] = {
            "required": True,
            "content": {op.request_content_type: {"schema": op.request}},
        }
    if op.auth != AuthLevel.ANONYMOUS:
        document["security"] = [{"functionKey": []}]
    return document


def openapi_document() -> dict[str, Any]:
    """The whole API as OpenAPI 3.1."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(f"/api/{op.route}", {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"}},
        },
    }

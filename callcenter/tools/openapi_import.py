"""Expose selected operations of an OpenAPI 3 document as tools.

Each operation becomes a tool named by its operationId: path and query parameters become top-level
arguments, a JSON request body becomes the `body` argument, and the call goes through the same
`HttpEndpoint` (allowlist, timeout, no redirects) as a declared HTTP tool.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from callcenter.tools.http_tools import DeclarationError, HttpEndpoint
from callcenter.tools.registry import Tool

METHODS = ("get", "post", "put", "patch", "delete")
MAX_REF_DEPTH = 16


def _resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Inline local `$ref`s (`#/components/...`); external references are refused."""
    if depth > MAX_REF_DEPTH:
        raise DeclarationError("OpenAPI $ref chain is too deep or circular")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/"):
                raise DeclarationError(f"only local $ref are supported, got {ref}")
            target: Any = document
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return _resolve(document, target, depth + 1)
        return {key: _resolve(document, value, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(document, item, depth + 1) for item in node]
    return node


def _tool_name(operation_id: str) -> str:
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
    return re.sub(r"[^a-z0-9_]", "_", snake)[:64]


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any], list[Any]]]:
    found = {}
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            operation = item.get(method)
            if operation and operation.get("operationId"):
                found[operation["operationId"]] = (method.upper(), path, operation, shared)
    return found


def _tool(
    document: dict[str, Any],
    base_url: str,
    op: tuple[str, str, dict[str, Any], list[Any]],
    headers: dict[str, str],
    allowed_hosts: frozenset[str],
    operation_id: str,
) -> Tool:
    method, path, operation, shared = op
    properties: dict[str, Any] = {}
    required: list[str] = []
    query: dict[str, str] = {}
    for parameter in _resolve(document, [*shared, *operation.get("parameters", [])]):
        where, name = parameter.get("in"), parameter["name"]
        if where not in {"path", "query"}:
            continue
        properties[name] = {
            **parameter.get("schema", {"type": "string"}),
            "description": parameter.get("description", name),
        }
        if where == "query":
            query[name] = "{" + name + "}"
        if parameter.get("required") or where == "path":
            required.append(name)
    body_template = None
    content = _resolve(document, operation.get("requestBody", {})).get("content", {})
    if "application/json" in content:
        properties["body"] = content["application/json"].get("schema", {"type": "object"})
        body_template = "{body}"
        if operation.get("requestBody", {}).get("required"):
            required.append("body")
    endpoint = HttpEndpoint(
        method=method,
        url=base_url.rstrip("/") + path,
        query=query,
        body=body_template,
        headers=headers,
        allowed_hosts=allowed_hosts,
    )
    endpoint.check_host(re.sub(r"\{[^}]*\}", "x", endpoint.url))
    description = operation.get("summary") or operation.get("description") or f"{method} {path}"
    return Tool(
        name=_tool_name(operation_id),
        description=description[:1000],
        parameters={"type": "object", "properties": properties, "required": required},
        executor=endpoint,
        pack="openapi",
    )


def tools_from_openapi(
    document: dict[str, Any],
    operation_ids: list[str],
    allowed_hosts: frozenset[str],
    *,
    base_url: str | None = None,
    headers: dict[str, str] | None = None,
) -> list[Tool]:
    """Tools for `operation_ids` of an OpenAPI 3 `document`.

    Raises:
        DeclarationError: not OpenAPI 3, unknown operation, no server URL, or a host outside the allowlist.
    """
    if not str(document.get("openapi", "")).startswith("3."):
        raise DeclarationError("not an OpenAPI 3 document")
    servers = document.get("servers") or [{}]
    server = base_url or servers[0].get("url")
    if not server:
        raise DeclarationError("the OpenAPI document has no server URL; set base_url")
    operations = _operations(document)
    unknown = [op for op in operation_ids if op not in operations]
    if unknown:
        raise DeclarationError(f"unknown OpenAPI operations: {', '.join(unknown)}")
    try:
        return [_tool(document, server, operations[op], headers or {}, allowed_hosts, op) for op in operation_ids]
    except Exception as exc:
        if isinstance(exc, DeclarationError):
            raise
        message = getattr(exc, "message", str(exc))
        raise DeclarationError(f"OpenAPI import failed: {message}") from None


def load_openapi_tools(path: Path, allowed_hosts: frozenset[str]) -> list[Tool]:
    """Tools from `path`: `{"documents": [{"spec", "operations", "base_url"?, "headers"?}]}`.

    `spec` is a path relative to `path`'s folder.
    """
    config = json.loads(path.read_text(encoding="utf-8"))
    tools: list[Tool] = []
    for entry in config.get("documents", []):
        document = json.loads((path.parent / entry["spec"]).read_text(encoding="utf-8"))
        tools += tools_from_openapi(
            document,
            list(entry["operations"]),
            allowed_hosts,
            base_url=entry.get("base_url"),
            headers=entry.get("headers"),
        )
    return tools

"""HTTP tools: a tool declared in configuration that calls a business's existing REST endpoint.

A declaration names the method, a URL template whose `{placeholders}` are filled from the tool's
arguments (URL-encoded, so an argument can never change the host), query and body mappings,
headers whose `${SETTING}` values come from app settings, a timeout and the response fields the
model sees. The host must be in TOOL_ALLOWED_HOSTS and redirects are not followed (no SSRF).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from callcenter.config import get_settings, tool_secret
from callcenter.pooled import http_client
from callcenter.tools.registry import Channel, Tool, ToolContext, ToolError

if TYPE_CHECKING:
    import httpx

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
MAX_RESPONSE_CHARS = 8_000


class DeclarationError(ValueError):
    """A broken HTTP or OpenAPI tool declaration (reported at startup, naming the tool)."""


@dataclass(frozen=True)
class HttpEndpoint:
    """How one tool call becomes one HTTP request."""

    method: str
    url: str
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float | None = None
    response_fields: tuple[str, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()

    def check_host(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in {"http", "https"} or host not in self.allowed_hosts:
            raise ToolError(f"host '{host}' is not in the tool allowlist", code="host_not_allowed")

    def request_url(self, args: dict[str, Any]) -> str:
        url = _PLACEHOLDER.sub(lambda m: quote(str(args.get(m.group(1), "")), safe=""), self.url)
        self.check_host(url)
        return url

    async def __call__(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        url = self.request_url(args)
        query = {k: v for k, v in _fill(self.query, args).items() if v not in (None, "")}
        headers = {name: _SECRET.sub(lambda m: tool_secret(m.group(1)), value) for name, value in self.headers.items()}
        if ctx.call_id:
            headers.setdefault("x-call-id", ctx.call_id)
        timeout = self.timeout_seconds or get_settings().tool_http_timeout_seconds
        body = _fill(self.body, args) if self.body is not None else None
        import httpx  # lazily: most apps declare no HTTP tools, and httpx is slow to import

        client = await http_client()
        try:
            response = await client.request(
                self.method, url, params=query, json=body, headers=headers, timeout=timeout, follow_redirects=False
            )
        except httpx.TimeoutException:
            raise ToolError("the service did not answer in time", code="upstream_timeout") from None
        except httpx.HTTPError as exc:
            raise ToolError(
                f"the service could not be reached ({type(exc).__name__})", code="upstream_unreachable"
            ) from None
        return _result(response, self.response_fields)


def _fill(template: Any, args: dict[str, Any]) -> Any:
    """Replace `"{name}"` strings by argument values (typed when the whole string is one placeholder)."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return args.get(whole.group(1))
        return _PLACEHOLDER.sub(lambda m: str(args.get(m.group(1), "")), template)
    if isinstance(template, dict):
        return {key: _fill(value, args) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(item, args) for item in template]
    return template


def _select(document: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def _result(response: httpx.Response, fields: tuple[str, ...]) -> dict[str, Any]:
    if response.is_redirect:
        raise ToolError("the service answered with a redirect, which tools do not follow", code="upstream_redirect")
    try:
        payload: Any = response.json()
    except ValueError:
        payload = response.text[:MAX_RESPONSE_CHARS]
    if response.is_error:
        raise ToolError(f"the service answered {response.status_code}", code=f"upstream_{response.status_code}")
    if fields and isinstance(payload, dict):
        payload = {name: _select(payload, name) for name in fields}
    text = json.dumps(payload, default=str)
    if len(text) > MAX_RESPONSE_CHARS:
        return {"status": response.status_code, "truncated": True, "data": text[:MAX_RESPONSE_CHARS]}
    return {"status": response.status_code, "data": payload}


def tool_from_declaration(spec: dict[str, Any], allowed_hosts: frozenset[str]) -> Tool:
    """One `Tool` from a JSON declaration (see docs/api.md: "Plug in your web services").

    Raises:
        DeclarationError: a field is missing or the URL's host is not allowed.
    """
    name = spec.get("name")
    try:
        endpoint = HttpEndpoint(
            method=str(spec.get("method", "GET")).upper(),
            url=spec["url"],
            query=spec.get("query", {}),
            body=spec.get("body"),
            headers=spec.get("headers", {}),
            timeout_seconds=spec.get("timeout_seconds"),
            response_fields=tuple(spec.get("response_fields", ())),
            allowed_hosts=allowed_hosts,
        )
        endpoint.check_host(_PLACEHOLDER.sub("x", endpoint.url))
        channels = frozenset(Channel(c) for c in spec.get("channels", ("web", "phone")))
        return Tool(
            name=spec["name"],
            description=spec["description"],
            parameters=spec.get("parameters", {"type": "object", "properties": {}}),
            executor=endpoint,
            channels=channels,
            pack="http",
            agents=frozenset(spec.get("agents", ())),
        )
    except ToolError as exc:
        raise DeclarationError(f"HTTP tool {name!r}: {exc.message}; add the host to TOOL_ALLOWED_HOSTS") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise DeclarationError(f"HTTP tool {name!r} is malformed: {exc}") from None


def load_http_tools(path: Path, allowed_hosts: frozenset[str]) -> list[Tool]:
    """The tools declared in `path` (`{"tools": [declaration, ...]}`)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return [tool_from_declaration(spec, allowed_hosts) for spec in document.get("tools", [])]

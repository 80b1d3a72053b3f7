"""Guards for endpoints a browser calls: allowed origins, signed-in users, per-client rate limits.

An endpoint declares its guard (`endpoint(..., guard=BrowserGuard(...))`) and the declaration
applies it before the handler runs, so every browser-facing endpoint is guarded the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func

from callcenter.config import Settings, get_settings
from callcenter.errors import Forbidden, RateLimited, Unauthorized

MAX_TRACKED_CLIENTS = 10_000


class RateLimiter:
    """A sliding one-minute window per client, kept in this instance's memory.

    Each Functions instance limits on its own, so the effective limit scales with the instance
    count; that bounds cost per instance, which is the point (see docs/security.md).
    """

    def __init__(self) -> None:
        self._hits: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

    def check(self, key: str, per_minute: int, now: float | None = None) -> None:
        """Count one request of `key`.

        Raises:
            RateLimited: `key` made `per_minute` requests in the last 60 seconds.
        """
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = [t for t in self._hits.pop(key, []) if now - t < 60.0]
            if len(hits) >= per_minute:
                self._hits[key] = hits
                retry = int(60 - (now - hits[0])) + 1
                raise RateLimited(f"too many requests; retry in {retry} s")
            hits.append(now)
            self._hits[key] = hits
            while len(self._hits) > MAX_TRACKED_CLIENTS:
                self._hits.popitem(last=False)

    def refund(self, key: str) -> None:
        """Take back `key`'s latest request (it was refused and cost nothing)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                hits.pop()


def client_key(req: func.HttpRequest) -> str:
    """The caller's address: the first hop of X-Forwarded-For (set by the Functions front end)."""
    forwarded = req.headers.get("x-forwarded-for", "")
    first = forwarded.split(",")[0].strip()
    return first.rsplit(":", 1)[0] if first.count(":") == 1 else (first or "unknown")


def check_origin(req: func.HttpRequest, allowed: tuple[str, ...]) -> None:
    """Refuse browser requests from origins outside the allowlist (no Origin header = not a browser).

    An empty allowlist means same-origin only (the front end served by this app, as `make run`
    does), so an unconfigured app is never open to every web site.
    """
    origin = req.headers.get("origin")
    if not origin or "*" in allowed or origin in allowed:
        return
    if not allowed and origin == _own_origin(req):
        return
    raise Forbidden(f"origin {origin} is not allowed", code="origin_not_allowed")


def _own_origin(req: func.HttpRequest) -> str:
    parts = urlsplit(req.url)
    return f"{parts.scheme}://{parts.netloc}"


def client_principal(req: func.HttpRequest) -> dict[str, Any]:
    """The Static Web Apps principal from `x-ms-client-principal` (user id, name, roles).

    Raises:
        Unauthorized: no principal, or a malformed one.
    """
    raw = req.headers.get("x-ms-client-principal")
    if not raw:
        raise Unauthorized("sign in to start a conversation", code="sign_in_required")
    try:
        principal = json.loads(base64.b64decode(raw, validate=True))
        user = principal["userId"]
        roles = principal.get("userRoles") or []
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise Unauthorized("malformed client principal", code="sign_in_required") from None
    if not isinstance(user, str) or not user or not isinstance(roles, list):
        raise Unauthorized("malformed client principal", code="sign_in_required")
    return dict(principal)


def signed_in_user(req: func.HttpRequest) -> str:
    """The Static Web Apps user id from `x-ms-client-principal`.

    Raises:
        Unauthorized: no principal, or a malformed one.
    """
    return str(client_principal(req)["userId"])


def has_role(req: func.HttpRequest, role: str) -> bool:
    """Whether the signed-in user holds `role` (Static Web Apps roles: invitations or custom roles)."""
    return role in (client_principal(req).get("userRoles") or [])


def caller_identity(req: func.HttpRequest, settings: Settings) -> str:
    """Who a rate limit counts: the signed-in user when sign-in is required, else the client address.

    Raises:
        Unauthorized: sign-in is required and the request has no valid principal.
    """
    return signed_in_user(req) if settings.require_signed_in_user else client_key(req)


@dataclass(frozen=True)
class RateLimit:
    """A per-client limit; endpoints that declare the same `RateLimit` share its window."""

    name: str
    per_minute: Callable[[Settings], int]
    limiter: RateLimiter = field(default_factory=RateLimiter, compare=False)


TOOL_CALLS_PER_MINUTE = 300  # per client and instance; a lively conversation makes a few a minute
SESSIONS = RateLimit("web sessions", lambda s: s.session_rate_limit_per_minute)
# Placing calls costs money: one call or one campaign counts the same.
OUTBOUND_CALLS = RateLimit("outbound calls", lambda s: s.session_rate_limit_per_minute)
TOOL_CALLS = RateLimit("tool calls", lambda _: TOOL_CALLS_PER_MINUTE)
RATE_LIMITS = (SESSIONS, OUTBOUND_CALLS, TOOL_CALLS)


def clear_rate_limits() -> None:
    """Forget every client's recent requests (tests; a restarted instance starts empty too)."""
    for limit in RATE_LIMITS:
        limit.limiter.clear()


@dataclass(frozen=True)
class BrowserGuard:
    """The guards of an endpoint a browser calls: an allowed `Origin` (`CORS_ALLOWED_ORIGINS`),
    a signed-in user when `REQUIRE_SIGNED_IN_USER` is set (holding `role`, when one is named, as
    Static Web Apps roles assign it), and an optional per-client rate limit."""

    rate_limit: RateLimit | None = None
    role: str | None = None

    def check(self, req: func.HttpRequest) -> str:
        """Who is calling (for `refund`).

        Raises:
            Forbidden, Unauthorized, RateLimited: the request may not proceed.
        """
        settings = get_settings()
        check_origin(req, settings.cors_allowed_origins)
        who = caller_identity(req, settings)
        if self.role is not None and settings.require_signed_in_user and not has_role(req, self.role):
            raise Forbidden(f"this action needs the {self.role} role", code=f"{self.role}_required")
        if self.rate_limit is not None:
            self.rate_limit.limiter.check(who, self.rate_limit.per_minute(settings))
        return who

    def refund(self, who: str) -> None:
        """A request the handler refused (bad input, unknown agent, missing configuration) spent
        nothing, so it does not count against the limit."""
        if self.rate_limit is not None:
            self.rate_limit.limiter.refund(who)


BROWSER = BrowserGuard()  # origin and sign-in, no rate limit
SUPERVISOR = BrowserGuard(role="supervisor")  # actions on someone else's live call

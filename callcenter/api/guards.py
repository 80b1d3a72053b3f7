"""Guards for endpoints that cost money: per-client rate limits, allowed origins, signed-in users."""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

import azure.functions as func

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


def signed_in_user(req: func.HttpRequest) -> str:
    """The Static Web Apps user id from `x-ms-client-principal`.

    Raises:
        Unauthorized: no principal, or a malformed one.
    """
    raw = req.headers.get("x-ms-client-principal")
    if not raw:
        raise Unauthorized("sign in to start a conversation", code="sign_in_required")
    try:
        principal = json.loads(base64.b64decode(raw, validate=True))
        user = principal["userId"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise Unauthorized("malformed client principal", code="sign_in_required") from None
    if not isinstance(user, str) or not user:
        raise Unauthorized("malformed client principal", code="sign_in_required")
    return user

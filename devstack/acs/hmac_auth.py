"""Verify the HMAC-SHA256 request signature the ACS SDKs put on every Call Automation request.

The SDK (`azure/communication/callautomation/_shared/policy.py`) signs
`VERB\\n<path?query>\\n<x-ms-date>;<host>;<x-ms-content-sha256>` with the base64-decoded access key
and sends `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<b64>`.
ACS also checks that the content hash matches the body and that the date is recent; a request that
fails any check gets 401 with the service's `Denied` error body. Pure functions, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# ACS accepts requests whose x-ms-date is within 15 minutes of its clock.
MAX_CLOCK_SKEW_SECONDS = 15 * 60
_REQUIRED_SIGNED = ("x-ms-date", "host", "x-ms-content-sha256")
_SCHEME = "HMAC-SHA256"


class SignatureError(Exception):
    """The request is not signed, or not signed with the resource's key; `reason` is for the log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_access_key(key: str) -> bytes:
    """The HMAC secret: ACS access keys are standard base64, exactly as the SDK decodes them.

    Raises:
        ValueError: the key is not base64 (the SDK would fail to sign with it too).
    """
    try:
        secret = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the ACS access key must be standard base64 (e.g. base64 of 32 random bytes)") from None
    if len(secret) < 16:
        raise ValueError("the ACS access key must decode to at least 16 bytes")
    return secret


def content_hash(body: bytes) -> str:
    """Base64 SHA-256 of the body, as sent in `x-ms-content-sha256`."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def string_to_sign(verb: str, path_and_query: str, signed_values: list[str]) -> str:
    return f"{verb.upper()}\n{path_and_query}\n{';'.join(signed_values)}"


def sign(secret: bytes, text: str) -> str:
    return base64.b64encode(hmac.new(secret, text.encode(), hashlib.sha256).digest()).decode()


def _parse_authorization(value: str) -> tuple[list[str], str]:
    scheme, _, params = value.partition(" ")
    if scheme != _SCHEME or not params:
        raise SignatureError("authorization scheme is not HMAC-SHA256")
    fields: dict[str, str] = {}
    for part in params.strip().split("&"):
        name, sep, val = part.partition("=")
        if not sep:
            raise SignatureError("malformed authorization parameters")
        # The signature is base64 and may itself end in '='; keep everything after the first one.
        fields[name.strip()] = val
    headers = [h.strip().lower() for h in fields.get("SignedHeaders", "").split(";") if h.strip()]
    signature = fields.get("Signature", "")
    if not headers or not signature:
        raise SignatureError("SignedHeaders or Signature missing")
    missing = [h for h in _REQUIRED_SIGNED if h not in headers]
    if missing:
        raise SignatureError(f"signed headers lack {', '.join(missing)}")
    return headers, signature


def verify_request(
    *,
    secret: bytes,
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> None:
    """Check an incoming request's HMAC signature, content hash and date.

    `headers` must be case-insensitive (Starlette's `Headers`); `path_and_query` is the raw target
    as sent (the SDK signs the percent-encoded form).

    Raises:
        SignatureError: anything missing, stale, tampered with or signed with another key.
    """
    authorization = headers.get("authorization")
    if not authorization:
        raise SignatureError("no Authorization header")
    signed_headers, signature = _parse_authorization(authorization)
    values: list[str] = []
    for name in signed_headers:
        value = headers.get(name)
        if value is None:
            raise SignatureError(f"signed header {name} is absent")
        values.append(value)
    if not hmac.compare_digest(headers.get("x-ms-content-sha256", ""), content_hash(body)):
        raise SignatureError("x-ms-content-sha256 does not match the body")
    try:
        sent_at = parsedate_to_datetime(headers.get("x-ms-date", ""))
    except (TypeError, ValueError):
        raise SignatureError("x-ms-date is not an RFC 1123 date") from None
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    skew = abs(((now or datetime.now(UTC)) - sent_at).total_seconds())
    if skew > MAX_CLOCK_SKEW_SECONDS:
        raise SignatureError(f"x-ms-date is {int(skew)} s away from the server clock")
    expected = sign(secret, string_to_sign(method, path_and_query, values))
    if not hmac.compare_digest(expected, signature):
        raise SignatureError("signature mismatch")

"""Typed errors of the function app, each with an HTTP status and a stable code.

They are turned into JSON responses in one place only (`callcenter.endpoints.http`); anything else that
escapes a handler becomes a logged 500 naming the request id.
"""

from __future__ import annotations


class CallCenterError(Exception):
    """Base of every error the API reports to its caller."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(CallCenterError):
    status = 400
    code = "invalid_input"


class Unauthorized(CallCenterError):
    status = 401
    code = "unauthorized"


class Forbidden(CallCenterError):
    status = 403
    code = "forbidden"


class NotFound(CallCenterError):
    status = 404
    code = "not_found"


class Conflict(CallCenterError):
    status = 409
    code = "conflict"


class PayloadTooLarge(CallCenterError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(CallCenterError):
    status = 415
    code = "unsupported_media_type"


class ValidationFailed(CallCenterError):
    """Well-formed input that breaks a schema (tool arguments, phone numbers)."""

    status = 422
    code = "validation_failed"


class RateLimited(CallCenterError):
    status = 429
    code = "rate_limited"


class UpstreamError(CallCenterError):
    """An Azure service (or a business web service) failed; the message never carries secrets."""

    status = 502
    code = "upstream_error"


class ServiceUnavailable(CallCenterError):
    """A backing Azure service (Table Storage, Durable task hub) cannot be reached; retrying may work."""

    status = 503
    code = "service_unavailable"


class FeatureNotConfigured(CallCenterError):
    """A feature whose settings are missing (phone without ACS, session without Azure OpenAI)."""

    status = 503
    code = "not_configured"

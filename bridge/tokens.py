"""Per-call media tokens (docs/internal-api.md): HS256 JWTs bound to one call id.

The function app issues them in the ACS `transport_url`; the bridge verifies them before it opens
anything that costs money. PyJWT compares signatures in constant time; the call id check uses
`hmac.compare_digest` too so a token's subject cannot be probed byte by byte.
"""

from __future__ import annotations

import enum
import hmac
import time

import jwt

AUDIENCE = "callcenter-bridge"
ALGORITHM = "HS256"


class TokenProblem(enum.Enum):
    """Why a token was refused; `status` is the HTTP status of the handshake refusal."""

    MISSING = ("missing_token", 401)
    INVALID = ("invalid_token", 401)
    EXPIRED = ("expired_token", 401)
    WRONG_CALL = ("token_for_other_call", 403)
    # The ACS-signed JWT in the handshake's Authorization header (bridge/acs_auth.py).
    ACS_MISSING = ("missing_acs_token", 401)
    ACS_INVALID = ("invalid_acs_token", 401)

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def status(self) -> int:
        return self.value[1]


class TokenError(Exception):
    """The media token does not admit this connection."""

    def __init__(self, problem: TokenProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def verify_media_token(token: str | None, call_id: str, secret: str, *, leeway_seconds: float = 5.0) -> None:
    """Accept the token only if it is signed with `secret`, unexpired, for this audience and call.

    Raises:
        TokenError: with the reason (missing, invalid, expired, other call).
    """
    if not token:
        raise TokenError(TokenProblem.MISSING, "a media token is required")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            leeway=leeway_seconds,
            options={"require": ["exp", "iat", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError(TokenProblem.EXPIRED, "the media token has expired") from None
    except jwt.PyJWTError:
        raise TokenError(TokenProblem.INVALID, "the media token is not valid") from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not hmac.compare_digest(subject.encode(), call_id.encode()):
        raise TokenError(TokenProblem.WRONG_CALL, "the media token belongs to another call")


def issue_media_token(call_id: str, secret: str, *, ttl_seconds: int = 3600, now: float | None = None) -> str:
    """Mint a token exactly as the function app does (used by the devstack, tests and benchmark)."""
    issued = int(time.time() if now is None else now)
    claims = {"sub": call_id, "aud": AUDIENCE, "iat": issued, "exp": issued + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)

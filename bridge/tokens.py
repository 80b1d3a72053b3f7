"""Per-call media tokens (docs/internal-api.md): HS256 JWTs bound to one call id.

The function app issues them in the ACS `transport_url`; the bridge verifies them before it opens
anything that costs money. PyJWT compares signatures in constant time; the call id check uses
`hmac.compare_digest` too so a token's subject cannot be probed byte by byte.
"""

from __future__ import annotations

import enum
import hmac
import time
from dataclasses import dataclass

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


WEB_AUDIENCE = "callcenter-bridge-web"


class WebTokenProblem(enum.Enum):
    """Why a browser's session token was refused; `close_code` is the WebSocket close code it gets.

    A browser cannot read the HTTP status of a refused handshake, so the browser endpoint accepts the
    upgrade and closes at once with a 44xx code that mirrors the HTTP status.
    """

    MISSING = ("missing_token", 4401)
    INVALID = ("invalid_token", 4401)
    EXPIRED = ("expired_token", 4401)
    REUSED = ("token_already_used", 4401)
    WRONG_AGENT = ("token_for_other_agent", 4403)

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def close_code(self) -> int:
        return self.value[1]


class WebTokenError(Exception):
    """The web session token does not admit this browser."""

    def __init__(self, problem: WebTokenProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


@dataclass(frozen=True)
class WebGrant:
    """What a verified web session token admits: one session of one agent, until `expires_at`."""

    session_id: str
    agent: str
    token_id: str
    expires_at: float


def verify_web_token(token: str | None, agent: str, secret: str, *, leeway_seconds: float = 5.0) -> WebGrant:
    """Accept a token `/api/session` minted for a Voice Live web session of `agent`.

    Raises:
        WebTokenError: missing, forged, expired or for another agent.
    """
    if not token:
        raise WebTokenError(WebTokenProblem.MISSING, "a session token is required")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=WEB_AUDIENCE,
            leeway=leeway_seconds,
            options={"require": ["exp", "iat", "sub", "aud", "jti", "agent"]},
        )
    except jwt.ExpiredSignatureError:
        raise WebTokenError(WebTokenProblem.EXPIRED, "the session token has expired") from None
    except jwt.PyJWTError:
        raise WebTokenError(WebTokenProblem.INVALID, "the session token is not valid") from None
    subject, claimed_agent, token_id = claims.get("sub"), claims.get("agent"), claims.get("jti")
    if not all(isinstance(value, str) and value for value in (subject, claimed_agent, token_id)):
        raise WebTokenError(WebTokenProblem.INVALID, "the session token is not valid")
    if not hmac.compare_digest(str(claimed_agent).encode(), agent.encode()):
        raise WebTokenError(WebTokenProblem.WRONG_AGENT, "the session token belongs to another agent")
    return WebGrant(str(subject), agent, str(token_id), float(claims["exp"]))


def issue_web_token(
    session_id: str, agent: str, secret: str, *, ttl_seconds: int = 120, now: float | None = None, token_id: str = ""
) -> str:
    """Mint a web session token exactly as the function app does (used by tests)."""
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": session_id,
        "agent": agent,
        "aud": WEB_AUDIENCE,
        "jti": token_id or f"{session_id}:{issued}",
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class UsedTokens:
    """Token ids already admitted, kept until they expire: a token opens one browser socket only.

    Per bridge replica; with several replicas a token could open one socket on each within its
    two-minute life, which the function app's session rate limit bounds anyway.
    """

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}

    def claim(self, grant: WebGrant, *, now: float | None = None) -> bool:
        """True the first time `grant`'s token id is seen; False on a replay."""
        moment = time.time() if now is None else now
        for token_id in [t for t, expires in self._expiry.items() if expires + 60 < moment]:
            del self._expiry[token_id]
        if grant.token_id in self._expiry:
            return False
        self._expiry[grant.token_id] = grant.expires_at
        return True

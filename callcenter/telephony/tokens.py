"""Per-call tokens: one in the bridge's media URL, one in the ACS callback URL.

Both are HS256 JWTs signed with CALL_TOKEN_SECRET, bound to the call id (`sub`) and to their use
(`aud`), and expiring. The bridge verifies the media token with the same secret
(docs/internal-api.md); the callback endpoint verifies the callback token.
"""

from __future__ import annotations

import time

from callcenter.config import AcsSettings
from callcenter.errors import Unauthorized

MEDIA_AUDIENCE = "callcenter-bridge"
CALLBACK_AUDIENCE = "callcenter-callback"
WEB_SESSION_AUDIENCE = "callcenter-bridge-web"
# A browser opens its bridge socket right after `/api/session`; the token only has to last that long.
WEB_SESSION_TOKEN_SECONDS = 120


def issue_token(acs: AcsSettings, call_id: str, audience: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    claims = {"sub": call_id, "aud": audience, "iat": issued, "exp": issued + acs.call_token_ttl_seconds}
    import jwt  # lazily: PyJWT loads `cryptography`, a large share of a cold worker's import time

    return jwt.encode(claims, acs.call_token_secret, algorithm="HS256")


def issue_web_session_token(acs: AcsSettings, session_id: str, agent: str, now: float | None = None) -> tuple[str, int]:
    """A browser's right to open one Voice Live session of `agent` on the bridge: (token, expiry).

    Bound to the session (`sub`), the agent and this use (`aud`), single use (`jti`, which the bridge
    remembers) and short-lived. It carries no key: the bridge opens Voice Live with its own identity.
    """
    import uuid

    import jwt  # lazily, see issue_token

    issued = int(time.time() if now is None else now)
    expires = issued + WEB_SESSION_TOKEN_SECONDS
    claims = {
        "sub": session_id,
        "agent": agent,
        "aud": WEB_SESSION_AUDIENCE,
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "exp": expires,
    }
    return jwt.encode(claims, acs.call_token_secret, algorithm="HS256"), expires


def verify_token(acs: AcsSettings, token: str | None, call_id: str, audience: str) -> None:
    """Check a per-call token.

    Raises:
        Unauthorized: missing, forged, expired, for another use or for another call.
    """
    if not token:
        raise Unauthorized("missing call token", code="invalid_call_token")
    import jwt  # lazily, see issue_token

    try:
        claims = jwt.decode(
            token,
            acs.call_token_secret,
            algorithms=["HS256"],
            audience=audience,
            options={"require": ["sub", "exp", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid call token ({type(exc).__name__})", code="invalid_call_token") from None
    if claims["sub"] != call_id:
        raise Unauthorized("call token was issued for another call", code="invalid_call_token")


def media_url(acs: AcsSettings, call_id: str) -> str:
    """The bridge URL ACS streams this call's audio to."""
    return f"{acs.bridge_public_url}/acs/media/{call_id}?token={issue_token(acs, call_id, MEDIA_AUDIENCE)}"


def callback_url(acs: AcsSettings, call_id: str) -> str:
    """Where ACS posts this call's mid-call events."""
    return f"{acs.public_base_url}/api/callbacks/{call_id}?token={issue_token(acs, call_id, CALLBACK_AUDIENCE)}"

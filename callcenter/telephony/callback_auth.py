"""Authenticate ACS callbacks: the ACS-signed JWT in `Authorization`, checked against published keys.

The keys come from the OpenID configuration named by ACS_OPENID_CONFIG_URL (its `jwks_uri`);
PyJWT's `PyJWKClient` caches them and refetches on an unknown key id. The audience is the ACS
resource id; the issuer is the one the OpenID configuration declares.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from callcenter.config import AcsSettings
from callcenter.errors import Unauthorized

if TYPE_CHECKING:
    import jwt

log = logging.getLogger("callcenter.telephony")


@lru_cache(maxsize=4)
def _openid(config_url: str) -> tuple[str, str, jwt.PyJWKClient]:
    import httpx
    import jwt  # PyJWT and httpx are imported on the first callback, not at worker start

    document = httpx.get(config_url, timeout=10).raise_for_status().json()
    return (
        document["issuer"],
        document["jwks_uri"],
        jwt.PyJWKClient(document["jwks_uri"], cache_keys=True, lifespan=3600),
    )


def _verify(acs: AcsSettings, token: str) -> dict[str, Any]:
    import jwt

    issuer, _, keys = _openid(acs.openid_config_url)
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=acs.resource_id,
        issuer=issuer,
        options={"require": ["exp", "aud", "iss"]},
    )


async def verify_acs_request(acs: AcsSettings, authorization: str | None, call_id: str) -> dict[str, Any]:
    """The verified claims of an ACS callback.

    Raises:
        Unauthorized: no bearer token, or one that is forged, expired, for another audience or issuer.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        log.warning("callback for call %s without a bearer token", call_id)
        raise Unauthorized("callbacks must carry the ACS bearer token", code="invalid_acs_token")
    import httpx
    import jwt

    try:
        return await asyncio.to_thread(_verify, acs, token)
    except (jwt.PyJWTError, httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("callback for call %s refused: %s", call_id, type(exc).__name__)
        raise Unauthorized("the ACS token could not be verified", code="invalid_acs_token") from None


def forget_keys() -> None:
    """Drop cached OpenID configuration and keys (settings changed)."""
    _openid.cache_clear()

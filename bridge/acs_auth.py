"""Verify the JWT ACS puts on its media WebSocket handshake (pure: no I/O, keys are passed in).

Each connection ACS opens to the transport URL carries `Authorization: Bearer <JWT>`, signed like the
mid-call callbacks: RS256, issuer and keys from the OpenID configuration
(`https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration`),
audience = the ACS resource's immutable id, valid for 24 hours, a new token per connection
(learn.microsoft.com: "Secure webhook endpoints and WebSocket connections").

The bridge requires both proofs (docs/internal-api.md): this JWT says ACS opened the socket, the
per-call token in the URL (bridge/tokens.py) says which call it is and that the app asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from bridge.tokens import TokenError, TokenProblem

ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 60.0  # clock skew between ACS and the bridge's host


@dataclass(frozen=True)
class AcsSigningKeys:
    """What the OpenID configuration and its key set say: the issuer and the public keys by `kid`."""

    issuer: str
    jwks_uri: str
    keys: Mapping[str, Any] = field(default_factory=dict)


class UnknownSigningKey(TokenError):
    """Signed with a key id not (yet) in the cached set: the caller refreshes the keys."""


def jwks_uri(openid_configuration: Any) -> tuple[str, str]:
    """(issuer, jwks_uri) of an OpenID configuration document.

    Raises:
        ValueError: the document lacks either.
    """
    if not isinstance(openid_configuration, dict):
        raise ValueError("the OpenID configuration is not a JSON object")
    issuer, uri = openid_configuration.get("issuer"), openid_configuration.get("jwks_uri")
    if not isinstance(issuer, str) or not issuer or not isinstance(uri, str) or not uri:
        raise ValueError("the OpenID configuration lacks issuer or jwks_uri")
    return issuer, uri


def signing_keys(issuer: str, uri: str, jwks: Any) -> AcsSigningKeys:
    """Parse a JWKS document; RSA signing keys with a `kid` are kept, anything else is skipped."""
    entries = jwks.get("keys") if isinstance(jwks, dict) else None
    keys: dict[str, Any] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        try:
            keys[str(kid)] = RSAAlgorithm.from_jwk(entry)
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            continue
    return AcsSigningKeys(issuer=issuer, jwks_uri=uri, keys=keys)


def verify_acs_media_token(authorization: str | None, keys: AcsSigningKeys, audience: str) -> dict[str, Any]:
    """The claims of a valid ACS handshake token.

    Raises:
        UnknownSigningKey: well-formed, but signed with a key id the cached set lacks.
        TokenError: missing, not a bearer token, forged, expired, or for another issuer or audience.
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError(TokenProblem.ACS_MISSING, "the ACS bearer token is required")
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError(TokenProblem.ACS_INVALID, "the ACS token is not a JWT") from None
    key = keys.keys.get(str(header.get("kid")))
    if key is None:
        raise UnknownSigningKey(TokenProblem.ACS_INVALID, "the ACS token is signed with an unknown key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=keys.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError(TokenProblem.ACS_INVALID, "the ACS token has expired") from None
    except jwt.PyJWTError:
        raise TokenError(TokenProblem.ACS_INVALID, "the ACS token is not valid for this resource") from None
    return claims

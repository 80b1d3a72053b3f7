"""Entra ID (managed identity) bearer tokens on Call Automation requests, as ACS accepts them.

The SDK sends `Authorization: Bearer <token>` for the scope `https://communication.azure.com//.default`
when it is given a token credential instead of a key. ACS accepts tokens for the resource
`https://communication.azure.com` from its tenant's issuer; the simulator trusts exactly one issuer,
named by its OpenID configuration URL (the stack's local token issuer, devstack/identity.py), and
refuses every other token. Keys are fetched once, and again for an unknown key id.
"""

from __future__ import annotations

from typing import Any

import httpx
import jwt
from jwt.algorithms import RSAAlgorithm

AUDIENCES = ["https://communication.azure.com", "https://communication.azure.com/"]


class BearerRefused(Exception):
    """The token is not one the trusted issuer made for ACS; `reason` is for the log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EntraVerifier:
    """Verifies bearer tokens against one trusted issuer (None: bearer tokens are refused)."""

    def __init__(self, openid_url: str | None) -> None:
        self.openid_url = openid_url
        self._issuer = ""
        self._keys: dict[str, Any] = {}

    async def verify(self, client: httpx.AsyncClient, token: str) -> dict[str, Any]:
        """The token's claims.

        Raises:
            BearerRefused: no trusted issuer, unknown key, bad signature, wrong audience/issuer, expired.
        """
        if not self.openid_url:
            raise BearerRefused("no token issuer is trusted (start with --trusted-token-issuer)")
        try:
            kid = str(jwt.get_unverified_header(token).get("kid"))
        except jwt.PyJWTError:
            raise BearerRefused("not a JWT") from None
        if kid not in self._keys:
            await self._refresh(client)
        key = self._keys.get(kid)
        if key is None:
            raise BearerRefused("signed by a key the trusted issuer does not publish")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=AUDIENCES,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise BearerRefused(type(exc).__name__) from None
        return claims

    async def _refresh(self, client: httpx.AsyncClient) -> None:
        try:
            config = (await client.get(str(self.openid_url))).raise_for_status().json()
            jwks = (await client.get(config["jwks_uri"])).raise_for_status().json()
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise BearerRefused(f"cannot load the issuer's keys ({type(exc).__name__})") from None
        self._issuer = str(config["issuer"])
        self._keys = {str(k["kid"]): RSAAlgorithm.from_jwk(k) for k in jwks.get("keys", []) if "kid" in k}

"""The simulator's callback signing key: RS256 JWTs on every callback, published as OpenID + JWKS.

ACS puts `Authorization: Bearer <JWT>` on each mid-call callback; receivers validate it against the
keys listed by `https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration`
(issuer `https://acscallautomation.communication.azure.com`, audience = the ACS resource's immutable
id, lifetime five minutes). The simulator does the same with a key generated at start-up, so the
app's ordinary validation code (PyJWKClient + issuer/audience/expiry checks) runs unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import RSAAlgorithm

ACS_ISSUER = "https://acscallautomation.communication.azure.com"
OPENID_PATH = "/calling/.well-known/acsopenidconfiguration"
JWKS_PATH = "/calling/keys"
TOKEN_LIFETIME_SECONDS = 300


class CallbackSigner:
    """Holds one RSA key; mints callback tokens and describes itself for OpenID discovery."""

    def __init__(self, audience: str, issuer: str = ACS_ISSUER) -> None:
        self.audience = audience  # the ACS resource id the app is configured with
        self.issuer = issuer
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_der = self._key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        # A stable key id derived from the key, like the x5t thumbprints ACS publishes.
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(public_der).digest()[:20]).decode().rstrip("=")

    def mint(
        self,
        *,
        audience: str | None = None,
        issuer: str | None = None,
        lifetime_seconds: int = TOKEN_LIFETIME_SECONDS,
        now: float | None = None,
    ) -> str:
        """A fresh token for one callback request; overrides exist to mint deliberately bad tokens."""
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": issuer if issuer is not None else self.issuer,
            "aud": audience if audience is not None else self.audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + lifetime_seconds,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})

    def jwks(self) -> dict[str, Any]:
        """The public key set (`/calling/keys`)."""
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def openid_configuration(self, base_url: str) -> dict[str, Any]:
        """The discovery document; `jwks_uri` points back at this simulator."""
        return {
            "issuer": self.issuer,
            "jwks_uri": base_url.rstrip("/") + JWKS_PATH,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "claims_supported": ["iss", "aud", "exp", "iat", "nbf"],
        }

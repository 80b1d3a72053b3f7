"""`python -m devstack.identity --port P`: a local managed-identity endpoint and token issuer.

It speaks the App Service managed identity protocol azure-identity's `ManagedIdentityCredential`
uses when IDENTITY_ENDPOINT and IDENTITY_HEADER are set (`GET ?resource=...&api-version=2019-08-01`
with `X-IDENTITY-HEADER`), and issues RS256 access tokens for the requested resource, published with
an OpenID configuration and JWKS, so a stand-in service (the ACS simulator) can verify them the way
Entra ID tokens are verified. The app's code is unchanged: `DefaultAzureCredential` finds it.
"""

from __future__ import annotations

import argparse
import hmac
import os
import sys
import time
import uuid
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_VERSION = "2019-08-01"
ISSUE_PATH = "/msi/token"
OPENID_PATH = "/.well-known/openid-configuration"
KEYS_PATH = "/keys"
TOKEN_LIFETIME_SECONDS = 3600
TENANT = "00000000-0000-0000-0000-00000000cafe"


class TokenIssuer:
    """One signing key and one managed identity (its client and object ids)."""

    def __init__(self, secret: str, client_id: str = "devstack-managed-identity") -> None:
        self.secret = secret  # the IDENTITY_HEADER value a caller must present
        self.client_id = client_id
        self.object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, client_id))
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex

    def issuer(self, base_url: str) -> str:
        return base_url.rstrip("/") + f"/{TENANT}/"

    def mint(self, base_url: str, resource: str, lifetime: int = TOKEN_LIFETIME_SECONDS) -> tuple[str, int]:
        now = int(time.time())
        claims = {
            "iss": self.issuer(base_url),
            "aud": resource,
            "sub": self.object_id,
            "oid": self.object_id,
            "appid": self.client_id,
            "tid": TENANT,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
        }
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
        return token, now + lifetime

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": message}, status_code=status)


def create_app(issuer: TokenIssuer) -> Starlette:
    async def token(request: Request) -> Response:
        presented = request.headers.get("x-identity-header", "")
        if not hmac.compare_digest(presented.encode(), issuer.secret.encode()):
            return _error(401, "unauthorized", "X-IDENTITY-HEADER is missing or wrong")
        resource = request.query_params.get("resource", "")
        if request.query_params.get("api-version") != API_VERSION or not resource:
            return _error(400, "invalid_request", f"api-version={API_VERSION} and resource are required")
        access_token, expires_on = issuer.mint(str(request.base_url), resource)
        return JSONResponse(
            {
                "access_token": access_token,
                "expires_on": str(expires_on),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": issuer.client_id,
            }
        )

    async def openid(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse({"issuer": issuer.issuer(base), "jwks_uri": base + KEYS_PATH})

    async def keys(request: Request) -> Response:
        return JSONResponse(issuer.jwks())

    return Starlette(routes=[Route(ISSUE_PATH, token), Route(OPENID_PATH, openid), Route(KEYS_PATH, keys)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.identity", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7074)
    parser.add_argument("--secret-env", default="IDENTITY_HEADER", help="variable holding the X-IDENTITY-HEADER value")
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env, "")
    if len(secret) < 16:
        print(f"devstack.identity: set {args.secret_env} to a secret of at least 16 characters", file=sys.stderr)
        sys.exit(2)
    uvicorn.run(create_app(TokenIssuer(secret)), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

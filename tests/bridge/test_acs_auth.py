"""The bridge requires ACS's handshake JWT as well as its own per-call token (bridge/acs_auth.py)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from bridge.acs_auth import AcsSigningKeys, UnknownSigningKey, signing_keys, verify_acs_media_token
from bridge.tokens import TokenError, issue_media_token
from devstack.acs.signing import ACS_ISSUER, JWKS_PATH, OPENID_PATH, CallbackSigner
from tests.bridge.harness import SECRET, running_stack, wait_until
from tests.devstack.realtime.harness import serve_in_loop

RESOURCE_ID = "5e1f0a1e-0000-4000-8000-00000000acs1"
SIGNER = CallbackSigner(RESOURCE_ID)


def keys_of(signer: CallbackSigner) -> AcsSigningKeys:
    return signing_keys(ACS_ISSUER, "https://acs/calling/keys", signer.jwks())


def test_a_token_acs_signed_for_this_resource_is_accepted() -> None:
    claims = verify_acs_media_token(f"Bearer {SIGNER.mint(lifetime_seconds=86400)}", keys_of(SIGNER), RESOURCE_ID)
    assert claims["aud"] == RESOURCE_ID and claims["iss"] == ACS_ISSUER


@pytest.mark.parametrize(
    ("authorization", "problem"),
    [
        (None, "missing_acs_token"),
        ("Basic abc", "missing_acs_token"),
        ("Bearer not-a-jwt", "invalid_acs_token"),
        (f"Bearer {SIGNER.mint(audience='another-resource')}", "invalid_acs_token"),
        (f"Bearer {SIGNER.mint(issuer='https://login.example.com')}", "invalid_acs_token"),
        (f"Bearer {SIGNER.mint(lifetime_seconds=-3600)}", "invalid_acs_token"),
    ],
)
def test_missing_forged_expired_or_foreign_tokens_are_refused(authorization: str | None, problem: str) -> None:
    with pytest.raises(TokenError) as caught:
        verify_acs_media_token(authorization, keys_of(SIGNER), RESOURCE_ID)
    assert caught.value.problem.code == problem and caught.value.problem.status == 401


def test_a_token_from_a_key_not_in_the_set_asks_for_a_refresh_and_a_forged_key_id_fails() -> None:
    other = CallbackSigner(RESOURCE_ID)
    with pytest.raises(UnknownSigningKey):
        verify_acs_media_token(f"Bearer {other.mint()}", keys_of(SIGNER), RESOURCE_ID)
    forged = CallbackSigner(RESOURCE_ID)
    forged.kid = SIGNER.kid  # claims the published key id, signed with another key
    with pytest.raises(TokenError) as caught:
        verify_acs_media_token(f"Bearer {forged.mint()}", keys_of(SIGNER), RESOURCE_ID)
    assert not isinstance(caught.value, UnknownSigningKey)


@contextlib.asynccontextmanager
async def openid_server(signer: CallbackSigner) -> AsyncIterator[str]:
    async def openid(request: Request) -> JSONResponse:
        return JSONResponse(signer.openid_configuration(str(request.base_url)))

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(signer.jwks())

    app = Starlette(routes=[Route(OPENID_PATH, openid), Route(JWKS_PATH, jwks)])
    async with serve_in_loop(app) as port:
        yield f"http://127.0.0.1:{port}{OPENID_PATH}"


async def handshake_status(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    try:
        async with connect(url, additional_headers=headers, close_timeout=2):
            return 101, None
    except InvalidStatus as refused:
        return refused.response.status_code, json.loads(refused.response.body)["error"]["code"]


async def test_media_connection_needs_both_the_acs_jwt_and_the_per_call_token() -> None:
    async with (
        openid_server(SIGNER) as openid_url,
        running_stack(acs_resource_id=RESOURCE_ID, acs_openid_config_url=openid_url) as stack,
    ):
        acs_jwt = {"Authorization": f"Bearer {SIGNER.mint(lifetime_seconds=86400)}"}
        only_call_token = await handshake_status(stack.url("call-a"), {})
        only_acs_jwt = await handshake_status(f"{stack.media_base}/call-a", acs_jwt)
        wrong_resource = {"Authorization": f"Bearer {SIGNER.mint(audience='another-resource')}"}
        foreign_jwt = await handshake_status(stack.url("call-a"), wrong_resource)
        assert only_call_token == (401, "missing_acs_token")
        assert only_acs_jwt == (401, "missing_token")
        assert foreign_jwt == (401, "invalid_acs_token")
        assert stack.simulator.conversations == [] and stack.function_app.agent_requests == []
        assert (await handshake_status(stack.url("call-a"), acs_jwt))[0] == 101


async def test_keys_rotated_by_acs_are_fetched_again_on_an_unknown_key_id() -> None:
    rotating = CallbackSigner(RESOURCE_ID)
    async with (
        openid_server(rotating) as openid_url,
        running_stack(acs_resource_id=RESOURCE_ID, acs_openid_config_url=openid_url) as stack,
    ):
        old = rotating.mint()
        rotating.__init__(RESOURCE_ID)  # type: ignore[misc]  # ACS publishes a new key
        stack.bridge._acs_auth._last_fetch = 0.0  # the refetch gap has passed
        url = stack.url("call-r", issue_media_token("call-r", SECRET))
        assert await handshake_status(url, {"Authorization": f"Bearer {rotating.mint()}"}) == (401, "invalid_acs_token")
        await wait_until(lambda: rotating.kid in (stack.bridge._acs_auth.keys or keys_of(SIGNER)).keys)
        assert (await handshake_status(url, {"Authorization": f"Bearer {rotating.mint()}"}))[0] == 101
        retired = await handshake_status(stack.url("call-s"), {"Authorization": f"Bearer {old}"})
        assert retired == (401, "invalid_acs_token")  # the old key is no longer published

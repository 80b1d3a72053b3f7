"""Managed identity: the SDK with a token credential (no key) against the simulator, as on Azure.

The stack's token issuer (devstack/identity.py) speaks the App Service managed identity protocol, so
azure-identity's `ManagedIdentityCredential` gets a token from it exactly as from App Service; the
simulator (on https, as SDKs send bearer tokens only over TLS) accepts that issuer's tokens for the
ACS resource and refuses any other.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest
from azure.communication.callautomation import CallAutomationClient, PhoneNumberIdentifier
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import ManagedIdentityCredential

from devstack.acs import SimulatorConfig, create_app
from devstack.identity import TokenIssuer
from devstack.identity import create_app as identity_app
from devstack.tls import TlsFiles, write_tls_files
from tests.devstack.acs.harness import ACCESS_KEY, RESOURCE_ID
from tests.support.servers import serve

HEADER = "local-identity-header-secret"
UNKNOWN_CALL = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return write_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with serve(identity_app(TokenIssuer(HEADER))) as base:
        yield base


@pytest.fixture(scope="module")
def acs(tls: TlsFiles, issuer: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = SimulatorConfig(
        access_key=ACCESS_KEY,
        resource_id=RESOURCE_ID,
        voice="tone",
        recordings_dir=tmp_path_factory.mktemp("recordings"),
        trusted_token_issuer=f"{issuer}/.well-known/openid-configuration",
    )
    with serve(create_app(config), tls=(str(tls.cert), str(tls.key))) as base:
        yield base


def test_sdk_authenticates_with_a_managed_identity_token_from_the_local_issuer(
    acs: str, issuer: str, tls: TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{issuer}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", HEADER)
    client = CallAutomationClient(acs, ManagedIdentityCredential(), connection_verify=str(tls.bundle))
    with pytest.raises(ResourceNotFoundError):  # authenticated: the unknown call is a 404, not a 401
        client.get_call_connection(UNKNOWN_CALL).get_call_properties()
    placed = client.create_call(
        PhoneNumberIdentifier("+15550001111"),
        "https://127.0.0.1:9/api/callbacks/c1",
        source_caller_id_number=PhoneNumberIdentifier("+15559990000"),
    )
    assert placed.call_connection_state == "connecting"


def test_tokens_from_another_issuer_or_for_another_resource_are_refused(acs: str, issuer: str, tls: TlsFiles) -> None:
    stranger = TokenIssuer(HEADER)  # same protocol, a key the simulator does not trust
    forged, _ = stranger.mint(issuer, "https://communication.azure.com")
    with serve(identity_app(TokenIssuer(HEADER))) as other_base:
        foreign_issuer, _ = TokenIssuer(HEADER).mint(other_base, "https://communication.azure.com")
    token = httpx.get(
        f"{issuer}/msi/token",
        params={"resource": "https://storage.azure.com", "api-version": "2019-08-01"},
        headers={"X-IDENTITY-HEADER": HEADER},
    ).json()["access_token"]
    url = f"{acs}/calling/callConnections/{UNKNOWN_CALL}?api-version=2025-06-15"
    trust = ssl.create_default_context(cafile=str(tls.bundle))
    for bearer in (forged, foreign_issuer, token, "not-a-jwt"):
        refused = httpx.get(url, headers={"Authorization": f"Bearer {bearer}"}, verify=trust)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "Denied"


def test_the_issuer_refuses_callers_without_the_identity_header(issuer: str) -> None:
    params = {"resource": "https://communication.azure.com", "api-version": "2019-08-01"}
    assert httpx.get(f"{issuer}/msi/token", params=params).status_code == 401
    wrong = httpx.get(f"{issuer}/msi/token", params=params, headers={"X-IDENTITY-HEADER": "guess"})
    assert wrong.status_code == 401

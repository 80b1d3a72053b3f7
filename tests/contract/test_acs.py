"""ACS Call Automation contracts the app relies on, through the real `azure-communication-callautomation` SDK.

Stand-in: the ACS simulator (devstack/acs). Real: the resource in ACS_ENDPOINT, with ACS_ACCESS_KEY or,
when it is empty, the caller's Entra ID identity. Nothing here places a phone call on the real target
unless CONFORMANCE_TEST_NUMBER names the number to ring (and ACS_PHONE_NUMBER the caller id).
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from azure.communication.callautomation import CallAutomationClient, PhoneNumberIdentifier
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from tests.contract.conftest import require_real
from tests.contract.targets import AZURE, STANDIN
from tests.devstack.acs.harness import ACCESS_KEY, RESOURCE_ID, Stack, running_stack

PUBLIC_OPENID = "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration"
OUR_NUMBER = "+15559990000"
CALLEE = "+15550001111"
NEEDS_PUBLIC_ENDPOINT = (
    "Azure Communication Services: callbacks and media reach only a public https endpoint; "
    "the deployed app checks them on every call (docs/conformance.md)"
)


class AcsTarget:
    """Endpoint, credentials and resource id of one target."""

    def __init__(self, endpoint: str, credential: Any, resource_id: str, openid_url: str, stack: Stack | None):
        self.endpoint = endpoint
        self.credential = credential
        self.resource_id = resource_id
        self.openid_url = openid_url
        self.stack = stack  # the simulator and its stand-ins; None for the real service

    def client(self, credential: Any = None) -> CallAutomationClient:
        return CallAutomationClient(self.endpoint, credential or self.credential)


@contextlib.contextmanager
def acs_target(target: str, tmp_path: Path) -> Iterator[AcsTarget]:
    if target == STANDIN:
        with running_stack(tmp_path) as stack:
            openid = f"{stack.base}/calling/.well-known/acsopenidconfiguration"
            yield AcsTarget(stack.base, AzureKeyCredential(ACCESS_KEY), RESOURCE_ID, openid, stack)
        return
    key = os.environ.get("ACS_ACCESS_KEY", "").strip()
    if key:
        credential: Any = AzureKeyCredential(key)
    else:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    openid = os.environ.get("ACS_OPENID_CONFIG_URL", "").strip() or PUBLIC_OPENID
    yield AcsTarget(os.environ["ACS_ENDPOINT"], credential, os.environ["ACS_RESOURCE_ID"], openid, None)


@pytest.fixture
def acs(target: str, tmp_path: Path) -> Iterator[AcsTarget]:
    require_real("acs", target)
    with acs_target(target, tmp_path) as found:
        yield found


def test_openid_configuration_names_the_issuer_and_rsa_signing_keys(acs: AcsTarget) -> None:
    config = httpx.get(acs.openid_url, timeout=20).raise_for_status().json()
    assert config["issuer"] == "https://acscallautomation.communication.azure.com"
    keys = httpx.get(config["jwks_uri"], timeout=20).raise_for_status().json()["keys"]
    assert keys and all(k["kty"] == "RSA" and k["kid"] for k in keys)


def test_requests_signed_with_another_key_are_refused(acs: AcsTarget) -> None:
    forged = AzureKeyCredential(base64.b64encode(b"not-this-resources-access-key-32").decode())
    with pytest.raises(ClientAuthenticationError) as refused:
        acs.client(forged).get_call_connection("00000000-0000-0000-0000-000000000000").get_call_properties()
    assert refused.value.status_code == 401


def test_an_unknown_call_is_404_with_an_error_body(acs: AcsTarget) -> None:
    with pytest.raises(ResourceNotFoundError) as missing:
        acs.client().get_call_connection("00000000-0000-0000-0000-000000000000").get_call_properties()
    assert missing.value.status_code == 404
    assert missing.value.error is not None and missing.value.error.code and missing.value.error.message


def test_answering_a_forged_incoming_call_context_is_refused(acs: AcsTarget) -> None:
    callback = os.environ.get("PUBLIC_BASE_URL", "https://example.com").rstrip("/") + "/api/callbacks/conformance"
    if acs.stack is not None:
        callback = acs.stack.callback_url
    with pytest.raises(HttpResponseError) as refused:
        acs.client().answer_call("Zm9yZ2VkLWluY29taW5nLWNhbGwtY29udGV4dA", callback)
    assert 400 <= (refused.value.status_code or 0) < 500


def test_plain_http_callback_urls_are_refused(acs: AcsTarget) -> None:
    source = os.environ.get("ACS_PHONE_NUMBER", OUR_NUMBER)
    with pytest.raises(HttpResponseError) as refused:  # refused before anything is dialled
        acs.client().create_call(
            PhoneNumberIdentifier(os.environ.get("CONFORMANCE_TEST_NUMBER", CALLEE)),
            "http://callbacks.example.com/api/callbacks/conformance",
            source_caller_id_number=PhoneNumberIdentifier(source),
        )
    assert refused.value.status_code == 400


def test_outbound_call_is_placed_then_hung_up(acs: AcsTarget, target: str) -> None:
    number = os.environ.get("CONFORMANCE_TEST_NUMBER", "").strip()
    if target == AZURE and not number:
        pytest.skip("Azure Communication Services: no CONFORMANCE_TEST_NUMBER, so no phone call is placed")
    if acs.stack is not None:
        callback, source, number = acs.stack.callback_url, OUR_NUMBER, CALLEE
        acs.stack.behaviours(**{"+15550001111": {"kind": "no_answer", "seconds": 30}})
    else:
        callback = os.environ["PUBLIC_BASE_URL"].rstrip("/") + "/api/callbacks/conformance"
        source = os.environ["ACS_PHONE_NUMBER"]
    client = acs.client()
    placed = client.create_call(
        PhoneNumberIdentifier(number), callback, source_caller_id_number=PhoneNumberIdentifier(source)
    )
    assert placed.call_connection_id and placed.server_call_id is not None
    assert placed.call_connection_state in ("connecting", "unknown")
    assert placed.callback_url == callback
    client.get_call_connection(placed.call_connection_id).hang_up(is_for_everyone=True)


def test_callbacks_are_signed_cloud_events_naming_the_call(acs: AcsTarget, target: str) -> None:
    if acs.stack is None:
        pytest.skip(NEEDS_PUBLIC_ENDPOINT)
    stack = acs.stack
    stack.behaviours(**{"+15550001111": {"kind": "answer", "script": [{"silence": 0.2}]}})
    placed = acs.client().create_call(
        PhoneNumberIdentifier(CALLEE), stack.callback_url, source_caller_id_number=PhoneNumberIdentifier(OUR_NUMBER)
    )
    call_id = str(placed.call_connection_id)
    connected = stack.wait_for_event(call_id, "CallConnected")
    for name in ("id", "source", "type", "specversion", "time", "data"):
        assert name in connected, name
    assert connected["specversion"] == "1.0" and connected["type"] == "Microsoft.Communication.CallConnected"
    assert {"callConnectionId", "serverCallId", "correlationId"} <= set(connected["data"])
    request = next(r for r in stack.callbacks.requests if r["body"][0]["id"] == connected["id"])
    scheme, _, token = request["headers"]["authorization"].partition(" ")
    config = httpx.get(acs.openid_url, timeout=10).json()
    key = jwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(token).key
    jwt.decode(token, key, algorithms=["RS256"], audience=acs.resource_id, issuer=config["issuer"])
    assert scheme == "Bearer"
    acs.client().get_call_connection(call_id).hang_up(is_for_everyone=True)


def test_media_socket_messages_have_the_documented_shapes(acs: AcsTarget, target: str) -> None:
    if acs.stack is None:
        pytest.skip(NEEDS_PUBLIC_ENDPOINT)
    stack = acs.stack
    stack.behaviours(**{"+15550001111": {"kind": "answer", "script": [{"say": "hi"}, {"dtmf": "1"}]}})
    placed = acs.client().create_call(
        PhoneNumberIdentifier(CALLEE),
        stack.callback_url,
        source_caller_id_number=PhoneNumberIdentifier(OUR_NUMBER),
        media_streaming=stack.media(),
    )
    stack.wait_for(lambda: "DtmfData" in stack.bridge.kinds(), "the key press on the media socket")
    acs.client().get_call_connection(str(placed.call_connection_id)).hang_up(is_for_everyone=True)
    first, *rest = stack.bridge.messages
    assert first["kind"] == "AudioMetadata"
    assert set(first["audioMetadata"]) == {"subscriptionId", "encoding", "sampleRate", "channels", "length"}
    audio = next(m for m in rest if m["kind"] == "AudioData")["audioData"]
    assert set(audio) == {"timestamp", "participantRawID", "data", "silent"}
    dtmf = next(m for m in rest if m["kind"] == "DtmfData")["dtmfData"]
    assert set(dtmf) == {"timestamp", "participantRawID", "data"} and dtmf["data"] == "1"
    assert stack.bridge.headers["authorization"].startswith("Bearer ")

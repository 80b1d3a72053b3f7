"""The REST surface refuses what ACS refuses: bad signatures (401), bad input (4xx JSON), no 500s."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import jwt
import pytest
from azure.communication.callautomation import PhoneNumberIdentifier
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from devstack.acs.hmac_auth import (
    SignatureError,
    content_hash,
    decode_access_key,
    sign,
    string_to_sign,
    verify_request,
)
from tests.devstack.acs.harness import ACCESS_KEY, RESOURCE_ID, running_stack

SECRET = decode_access_key(ACCESS_KEY)


def signed_headers(
    method: str, path: str, host: str, body: bytes, key: bytes = SECRET, when: datetime | None = None
) -> dict[str, str]:
    date = format_datetime(when or datetime.now(UTC), usegmt=True)
    digest = content_hash(body)
    signature = sign(key, string_to_sign(method, path, [date, host, digest]))
    return {
        "x-ms-date": date,
        "x-ms-content-sha256": digest,
        "host": host,
        "authorization": f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}",
    }


def test_signature_check_accepts_the_signed_request_and_rejects_any_change() -> None:
    path, body = "/calling/callConnections?api-version=2025-06-15", b'{"targets": []}'
    headers = signed_headers("POST", path, "127.0.0.1:7073", body)
    verify_request(secret=SECRET, method="POST", path_and_query=path, headers=headers, body=body)
    changes = [
        {"body": b'{"targets": [1]}'},
        {"method": "DELETE"},
        {"path_and_query": "/calling/callConnections?api-version=2024-09-15"},
        {"headers": {**headers, "host": "127.0.0.1:9999"}},
        {"secret": os.urandom(32)},
        {"headers": {k: v for k, v in headers.items() if k != "authorization"}},
    ]
    for change in changes:
        request = {"secret": SECRET, "method": "POST", "path_and_query": path, "headers": headers, "body": body}
        request.update(change)
        with pytest.raises(SignatureError):
            verify_request(**request)  # type: ignore[arg-type]
    stale = signed_headers("POST", path, "h", body, when=datetime.now(UTC) - timedelta(minutes=20))
    with pytest.raises(SignatureError, match="server clock"):
        verify_request(secret=SECRET, method="POST", path_and_query=path, headers=stale, body=body)


def test_access_keys_must_be_base64_like_the_sdk_needs() -> None:
    with pytest.raises(ValueError, match="base64"):
        decode_access_key("not base64 at all!")


def test_sdk_with_the_wrong_key_or_a_tampered_request_gets_401_denied(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        wrong = stack.client(base64.b64encode(os.urandom(32)).decode())
        with pytest.raises(ClientAuthenticationError) as denied:
            wrong.create_call(
                PhoneNumberIdentifier("+15550001111"),
                stack.callback_url,
                source_caller_id_number=PhoneNumberIdentifier("+15559990000"),
            )
        assert denied.value.status_code == 401 and denied.value.error is not None
        assert denied.value.error.code == "Denied"

        host = stack.base.removeprefix("http://")
        path = "/calling/callConnections?api-version=2025-06-15"
        headers = signed_headers("POST", path, host, b"{}")
        tampered = httpx.post(stack.base + path, content=b'{"x": 1}', headers=headers)
        assert tampered.status_code == 401 and tampered.json()["error"]["code"] == "Denied"
        untouched = httpx.post(stack.base + path, content=b"{}", headers=headers)
        assert untouched.status_code == 400  # signed fine, but no targets
        assert untouched.json()["error"]["code"] == "8523"
        no_version = httpx.post(
            stack.base + "/calling/callConnections",
            content=b"{}",
            headers=signed_headers("POST", "/calling/callConnections", host, b"{}"),
        )
        assert no_version.status_code == 400 and no_version.json()["error"]["code"] == "MissingApiVersionParameter"
        not_json = httpx.post(stack.base + path, content=b"[", headers=signed_headers("POST", path, host, b"["))
        assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "BadRequest"


def test_sdk_calls_with_bad_arguments_get_acs_style_400s_and_unknown_calls_404(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        client = stack.client()
        with pytest.raises(HttpResponseError) as no_caller_id:
            client.create_call(PhoneNumberIdentifier("+15550001111"), stack.callback_url)
        assert no_caller_id.value.status_code == 400
        with pytest.raises(HttpResponseError) as remote_callback:
            client.create_call(
                PhoneNumberIdentifier("+15550001111"),
                "https://example.com/cb",
                source_caller_id_number=PhoneNumberIdentifier("+15559990000"),
            )
        assert remote_callback.value.status_code == 400
        with pytest.raises(HttpResponseError) as unknown:
            client.get_call_connection("no-such-call").hang_up(is_for_everyone=True)
        assert unknown.value.status_code == 404
        with pytest.raises(HttpResponseError) as bad_context:
            client.answer_call("forged-context", stack.callback_url)
        assert bad_context.value.status_code == 400


def test_retried_create_call_with_the_same_repeatability_id_places_one_call(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        client = stack.client()
        kwargs = {
            "source_caller_id_number": PhoneNumberIdentifier("+15559990000"),
            "headers": {
                "Repeatability-Request-ID": "5f0c6d4e-0000-4000-8000-000000000001",
                "Repeatability-First-Sent": "Mon, 01 Jan 2024 00:00:00 GMT",
            },
        }
        first = client.create_call(PhoneNumberIdentifier("+15550001111"), stack.callback_url, **kwargs)
        again = client.create_call(PhoneNumberIdentifier("+15550001111"), stack.callback_url, **kwargs)
        assert first.call_connection_id == again.call_connection_id
        assert len(stack.control("GET", "/simulator/calls").json()["calls"]) == 1


def _retry_headers(request_id: str) -> dict[str, dict[str, str]]:
    return {
        "headers": {"Repeatability-Request-ID": request_id, "Repeatability-First-Sent": "Mon, 01 Jan 2024 00:00:00 GMT"}
    }


def test_retried_answer_start_recording_and_terminate_take_effect_once(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        placed = stack.control("POST", "/simulator/calls/inbound", json={"from": "+15551230000", "to": "+15559990000"})
        server_call_id = placed.json()["server_call_id"]
        event = stack.wait_for(lambda: stack.event_grid.requests and stack.event_grid.requests[0]["body"][0], "ring")
        client = stack.client()
        context = event["data"]["incomingCallContext"]
        first = client.answer_call(
            context, stack.callback_url, **_retry_headers("a0000000-0000-4000-8000-000000000001")
        )
        again = client.answer_call(
            context, stack.callback_url, **_retry_headers("a0000000-0000-4000-8000-000000000001")
        )
        assert first.call_connection_id == again.call_connection_id
        call_id = str(first.call_connection_id)
        stack.wait_for_state(call_id, "connected")
        from azure.communication.callautomation import ServerCallLocator

        locator = ServerCallLocator(server_call_id)
        recording = client.start_recording(locator, **_retry_headers("b0000000-0000-4000-8000-000000000002"))
        recording_again = client.start_recording(locator, **_retry_headers("b0000000-0000-4000-8000-000000000002"))
        assert recording.recording_id == recording_again.recording_id
        connection = client.get_call_connection(call_id)
        connection.hang_up(is_for_everyone=True, **_retry_headers("c0000000-0000-4000-8000-000000000003"))
        connection.hang_up(is_for_everyone=True, **_retry_headers("c0000000-0000-4000-8000-000000000003"))
        operations = [op["operation"] for op in stack.call(call_id)["operations"]]
        assert operations == ["answer_call", "start_recording", "hang_up"]
        with pytest.raises(HttpResponseError) as fresh:  # a new request id is a new request: the call is gone
            connection.hang_up(is_for_everyone=True)
        assert fresh.value.status_code == 404


def test_callback_urls_must_be_https_unless_loopback(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        client = stack.client()
        with pytest.raises(HttpResponseError) as plain:
            client.create_call(
                PhoneNumberIdentifier("+15550001111"),
                "http://callbacks.example.com/api/callbacks/c1",
                source_caller_id_number=PhoneNumberIdentifier("+15559990000"),
            )
        assert plain.value.status_code == 400 and "must use https" in str(plain.value.message)
        loopback_http = stack.callback_url.replace("https://", "http://")
        assert loopback_http.startswith("http://127.0.0.1")
        placed = client.create_call(
            PhoneNumberIdentifier("+15550001111"),
            loopback_http,
            source_caller_id_number=PhoneNumberIdentifier("+15559990000"),
        )
        assert placed.call_connection_state == "connecting"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/simulator/calls/inbound", {"from": "555", "to": "+15559990000"}),
        ("/simulator/calls/inbound", {"from": "+15551230000", "to": "+15559990000", "script": [{"shout": "x"}]}),
        ("/simulator/calls/inbound", {"from": "+15551230000", "to": "+15559990000", "ring_seconds": -1}),
        ("/simulator/behaviours", {"+15550001111": {"kind": "teleport"}}),
        ("/simulator/behaviours", {"not-a-number": {"kind": "busy"}}),
        ("/simulator/tokens", {"lifetime_seconds": "long"}),
    ],
)
def test_control_api_rejects_bad_input_with_json_400(tmp_path: Path, path: str, body: dict[str, object]) -> None:
    with running_stack(tmp_path) as stack:
        response = stack.control("POST", path, json=body)
        assert response.status_code == 400
        assert set(response.json()["error"]) == {"code", "message"}


def test_control_api_answers_unknown_calls_routes_and_bodies_with_json_errors(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        assert stack.control("GET", "/simulator/calls/nope").status_code == 404
        assert stack.control("POST", "/simulator/calls/nope/hangup").status_code == 404
        assert stack.control("GET", "/simulator/nothing").json()["error"]["code"] == "NotFound"
        assert stack.control("DELETE", "/simulator/behaviours").status_code == 405
        assert stack.control("POST", "/simulator/calls/inbound", content=b"{").status_code == 400


def test_minted_tokens_let_tests_forge_wrong_audience_or_expired_callbacks(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        config = stack.control("GET", "/.well-known/acsopenidconfiguration").json()
        keys = jwt.PyJWKClient(config["jwks_uri"])
        expired = stack.control("POST", "/simulator/tokens", json={"lifetime_seconds": -60}).json()["token"]
        other = stack.control("POST", "/simulator/tokens", json={"audience": "someone-else"}).json()["token"]
        key = keys.get_signing_key_from_jwt(expired).key
        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(expired, key, algorithms=["RS256"], audience=RESOURCE_ID, issuer=config["issuer"])
        with pytest.raises(jwt.InvalidAudienceError):
            jwt.decode(other, key, algorithms=["RS256"], audience=RESOURCE_ID, issuer=config["issuer"])

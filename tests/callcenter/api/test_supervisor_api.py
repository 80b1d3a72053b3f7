"""Who may act on a live call: the supervisor role when sign-in is required; bad input refused."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from callcenter.config import load_settings
from callcenter.store import calls as store
from tests.support.azurite import run_azurite


def principal(*roles: str) -> str:
    body = {"userId": "u1", "userDetails": "lead@contoso.com", "userRoles": ["anonymous", "authenticated", *roles]}
    return base64.b64encode(json.dumps(body).encode()).decode()


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        settings = load_settings({"CALLCENTER_TABLES_CONNECTION": connection})
        web = store.CallRecord("web-sup-1", "inbound", "retail", channel="web", status="connected")
        phone = store.CallRecord("in-sup-ended", "inbound", "retail", status="ended")
        for record in (web, phone):
            asyncio.run(store.claim_call(settings, record))
        yield connection


@pytest.fixture
def api(function_host, tables: str) -> Iterator[httpx.Client]:
    settings = {"CALLCENTER_TABLES_CONNECTION": tables, "REQUIRE_SIGNED_IN_USER": "true"}
    with function_host(**settings) as base, httpx.Client(base_url=base, timeout=20) as client:
        yield client


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "sign_in_required"),
        ({"x-ms-client-principal": "%%%"}, 401, "sign_in_required"),
        ({"x-ms-client-principal": principal()}, 403, "supervisor_required"),
        ({"x-ms-client-principal": principal("supervisor")}, 404, "unknown_call"),
    ],
)
def test_actions_need_the_supervisor_role_when_sign_in_is_required(api, headers, status, code) -> None:
    for action, body in (("coach", {"text": "offer the discount"}), ("transfer", None), ("end", None)):
        response = api.post(f"/api/live/in-nobody/{action}", json=body, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), action


@pytest.mark.parametrize(
    ("call_id", "body", "status", "code"),
    [
        ("web-sup-1", {"text": "hi"}, 409, "not_a_phone_call"),
        ("in-sup-ended", {"text": "hi"}, 409, "call_not_live"),
        ("in-sup-ended", {"text": ""}, 400, None),
        ("in-sup-ended", {"text": "x" * 501}, 400, None),
        ("in-sup-ended", {"advice": "hi"}, 400, None),
    ],
)
def test_coaching_refuses_what_cannot_be_delivered(api, call_id, body, status, code) -> None:
    headers = {"x-ms-client-principal": principal("supervisor")}
    response = api.post(f"/api/live/{call_id}/coach", json=body, headers=headers)
    assert response.status_code == status and (code is None or response.json()["error"]["code"] == code)

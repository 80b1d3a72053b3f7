"""The phone path with no ACS key: the function app authenticates to ACS with a managed identity.

The stack runs in managed-identity mode (devstack/run.py): ACS_ACCESS_KEY is empty, so the app's own
`call_automation_client` uses `DefaultAzureCredential`, which finds the local managed-identity endpoint
through IDENTITY_ENDPOINT/IDENTITY_HEADER exactly as on App Service, and the ACS simulator (https)
accepts only that issuer's tokens.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devstack.run import Stack
from tests.support.stack import scripted_stack

SCENARIO = {"greeting": "Hello, thanks for calling.", "turns": []}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with scripted_stack(tmp_path_factory.mktemp("stack"), SCENARIO, managed_identity=True) as running:
        yield running


def test_inbound_call_is_answered_with_a_managed_identity_token(stack, acs, api) -> None:  # type: ignore[no-untyped-def]
    app_env = next(service.env for service in stack.services if service.name == "function app")
    assert app_env["IDENTITY_ENDPOINT"] and app_env["SSL_CERT_FILE"]  # no key: ACS_ACCESS_KEY is empty
    body = {"from": "+14255550101", "to": "+18005550100", "script": [{"wait_for_agent": 10}, {"silence": 1}]}
    call = acs.post("/simulator/calls/inbound", json=body).json()
    deadline = time.monotonic() + 60
    while (snapshot := acs.get(f"/simulator/calls/{call['id']}").json())["state"] != "disconnected":
        assert time.monotonic() < deadline, snapshot
        time.sleep(0.3)
    operations = [op["operation"] for op in snapshot["operations"]]
    assert operations[0] == "answer_call" and snapshot["answered_at"]
    assert "MediaStreamingStarted" in snapshot["events_sent"]  # the bridge took the call, too
    records = api.get("/api/calls", params={"limit": 10}).json()["calls"]
    assert any(r["server_call_id"] == call["server_call_id"] for r in records)

"""Durable Functions management API shapes, as the Durable extension documents them (HTTP API reference).

Stand-in: the devstack Functions host and Durable engine running a small test app. Real: the deployed
function app (FUNCTION_APP_URL) with the `durabletask_extension` system key (DURABLE_TASK_KEY); only
reads, so a real run changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.conftest import require_real
from tests.contract.targets import STANDIN
from tests.devstack.durable.conftest import hosted

API = "/runtime/webhooks/durabletask"
STATUSES = {"Pending", "Running", "Completed", "ContinuedAsNew", "Failed", "Terminated", "Suspended"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


class DurableTarget:
    def __init__(self, http: httpx.AsyncClient, key: str, instance_id: str | None) -> None:
        self.http = http
        self.params = {"code": key} if key else {}
        self.instance_id = instance_id  # a finished instance to inspect; None when the hub has none


@contextlib.asynccontextmanager
async def durable_target(target: str, tmp_path: Path) -> AsyncIterator[DurableTarget]:
    if target == STANDIN:
        async with hosted(tmp_path) as app:
            instance = (await app.start("chaining", {"name": "contract"}))["id"]
            await app.engine.wait_for(instance)
            yield DurableTarget(app.http, "", instance)
        return
    key = os.environ["DURABLE_TASK_KEY"]
    async with httpx.AsyncClient(base_url=os.environ["FUNCTION_APP_URL"].rstrip("/"), timeout=30) as http:
        listed = await http.get(f"{API}/instances", params={"code": key, "top": "5", "runtimeStatus": "Completed"})
        listed.raise_for_status()
        found = listed.json()
        yield DurableTarget(http, key, found[0]["instanceId"] if found else None)


@pytest.fixture
async def durable(target: str, tmp_path: Path) -> AsyncIterator[DurableTarget]:
    require_real("durable", target)
    async with durable_target(target, tmp_path) as found:
        yield found


def finished(durable: DurableTarget) -> str:
    if durable.instance_id is None:
        pytest.skip("Durable: the task hub has no completed instance yet (place one call first)")
    return durable.instance_id


def assert_status_shape(status: dict[str, Any]) -> None:
    for name in ("name", "instanceId", "runtimeStatus", "input", "customStatus", "output"):
        assert name in status, name
    assert status["runtimeStatus"] in STATUSES
    assert ISO_UTC.match(status["createdTime"]) and ISO_UTC.match(status["lastUpdatedTime"])


async def test_status_of_a_finished_instance_has_the_documented_fields(durable: DurableTarget) -> None:
    instance = finished(durable)
    response = await durable.http.get(f"{API}/instances/{instance}", params=durable.params)
    assert response.status_code == 200
    status = response.json()
    assert_status_shape(status)
    assert status["instanceId"] == instance and status["runtimeStatus"] == "Completed"


async def test_instance_list_is_an_array_of_statuses(durable: DurableTarget) -> None:
    finished(durable)
    response = await durable.http.get(f"{API}/instances", params={**durable.params, "top": "5"})
    assert response.status_code == 200 and isinstance(response.json(), list) and response.json()
    for status in response.json():
        assert_status_shape(status)


async def test_history_starts_with_execution_started_and_has_seven_digit_timestamps(
    durable: DurableTarget, target: str
) -> None:
    instance = finished(durable)
    params = {**durable.params, "showHistory": "true", "showHistoryOutput": "true"}
    history = (await durable.http.get(f"{API}/instances/{instance}", params=params)).json()["historyEvents"]
    assert history[0]["EventType"] == "ExecutionStarted" and history[-1]["EventType"] == "ExecutionCompleted"
    stamps = [event["Timestamp"] for event in history]
    assert all(re.search(r"\.\d{7}Z$", s) for s in stamps), stamps


async def test_unknown_instance_is_404_without_a_body(durable: DurableTarget, target: str) -> None:
    response = await durable.http.get(f"{API}/instances/no-such-instance-0000", params=durable.params)
    assert response.status_code == 404
    assert response.content == b""

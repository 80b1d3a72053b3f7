"""Bad requests to the Durable management API get clear 4xx JSON errors, never a 500."""

from __future__ import annotations

import pytest

from tests.devstack.durable.conftest import Hosted

API = "/runtime/webhooks/durabletask"


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def assert_bare(response, status: int) -> None:
    """The extension answers not found / gone with a status and no body (HttpApiHandler)."""
    assert response.status_code == status
    assert response.content == b""


async def test_start_with_invalid_json_is_400(app: Hosted) -> None:
    response = await app.http.post(f"{API}/orchestrators/chaining", content=b"{not json")
    assert_error(response, 400, "invalid_json")


async def test_start_of_unknown_orchestrator_is_400_with_the_sdk_exception_message(app: Hosted) -> None:
    response = await app.http.post(f"{API}/orchestrators/nope")
    assert_error(response, 400, "orchestrator_not_found")
    assert "nope" in response.json()["ExceptionMessage"]


async def test_unknown_instance_is_a_bare_404_for_status_event_control_and_purge(app: Hosted) -> None:
    assert_bare(await app.http.get(f"{API}/instances/ghost"), 404)
    assert_bare(await app.http.post(f"{API}/instances/ghost/raiseEvent/go", json=1), 404)
    assert_bare(await app.http.post(f"{API}/instances/ghost/terminate"), 404)
    assert_bare(await app.http.delete(f"{API}/instances/ghost"), 404)
    assert_bare(await app.http.delete(f"{API}/instances", params={"createdTimeFrom": "2000-01-01T00:00:00Z"}), 404)


async def test_raise_event_needs_json_content(app: Hosted) -> None:
    instance = (await app.start("waiter", None))["id"]
    plain = await app.http.post(f"{API}/instances/{instance}/raiseEvent/go", content=b"hi")
    assert_error(plain, 400, "unsupported_media_type")
    broken = await app.http.post(
        f"{API}/instances/{instance}/raiseEvent/go", content=b"{", headers={"content-type": "application/json"}
    )
    assert_error(broken, 400, "invalid_json")


async def test_events_and_control_on_a_finished_instance_are_a_bare_410(app: Hosted) -> None:
    instance = (await app.start("chaining", {"name": "x"}))["id"]
    await app.engine.wait_for(instance)
    assert_bare(await app.http.post(f"{API}/instances/{instance}/raiseEvent/go", json=1), 410)
    assert_bare(await app.http.post(f"{API}/instances/{instance}/suspend"), 410)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"runtimeStatus": "Sleeping"}, "invalid_runtime_status"),
        ({"createdTimeFrom": "yesterday"}, "invalid_time"),
        ({"top": "-3"}, "invalid_top"),
    ],
)
async def test_bad_query_parameters_are_400(app: Hosted, query: dict[str, str], code: str) -> None:
    assert_error(await app.http.get(f"{API}/instances", params=query), 400, code)


async def test_bad_continuation_token_is_400(app: Hosted) -> None:
    response = await app.http.get(f"{API}/instances", headers={"x-ms-continuation-token": "%%%"})
    assert_error(response, 400, "invalid_continuation_token")


async def test_purge_by_filter_needs_created_time_from(app: Hosted) -> None:
    assert_error(await app.http.delete(f"{API}/instances"), 400, "missing_created_time_from")


async def test_rewind_is_reported_as_not_supported(app: Hosted) -> None:
    instance = (await app.start("waiter", None))["id"]
    assert_error(await app.http.post(f"{API}/instances/{instance}/rewind"), 501, "rewind_not_supported")


async def test_restart_starts_a_new_instance_with_the_original_input(app: Hosted) -> None:
    first = (await app.start("chaining", {"name": "Bo"}))["id"]
    await app.engine.wait_for(first)
    restarted = await app.http.post(f"{API}/instances/{first}/restart")
    assert restarted.status_code == 202
    second = restarted.json()["id"]
    assert second != first
    assert (await app.engine.wait_for(second))["output"][0] == "Hello Bo!"

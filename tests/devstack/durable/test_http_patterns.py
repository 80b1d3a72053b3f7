"""Durable patterns end to end: HTTP starters, the SDK's real client, the host emulator, the engine."""

from __future__ import annotations

import itertools
from datetime import timedelta

from devstack.durable.history import parse_time
from tests.devstack.durable.conftest import Hosted

MANAGEMENT_KEYS = {
    "id",
    "statusQueryGetUri",
    "sendEventPostUri",
    "terminatePostUri",
    "purgeHistoryDeleteUri",
    "restartPostUri",
    "suspendPostUri",
    "resumePostUri",
}


async def test_chaining_returns_output_through_check_status_urls(app: Hosted) -> None:
    links = await app.start("chaining", {"name": "Ada"})
    assert set(links) >= MANAGEMENT_KEYS and links["statusQueryGetUri"].startswith(app.base)
    await app.engine.wait_for(links["id"])
    status = await app.http.get(links["statusQueryGetUri"])
    assert status.status_code == 200
    assert status.json()["runtimeStatus"] == "Completed"
    # The custom class crossed the activity boundary through to_json/from_json.
    assert status.json()["output"] == ["Hello Ada!", "Hello Hello Ada!!", "300 EUR"]
    seen = (await app.http.get(f"/api/status/{links['id']}")).json()
    completed = [e for e in seen["history"] if e["EventType"] == "TaskCompleted"]
    assert [e["FunctionName"] for e in completed] == ["hello", "hello", "price"]
    assert completed[0]["Result"] == "Hello Ada!"


async def test_running_instance_answers_202_with_location(app: Hosted) -> None:
    links = await app.start("waiter", None)
    await app.engine.run_until_idle()
    status = await app.http.get(links["statusQueryGetUri"])
    assert status.status_code == 202 and status.headers["location"] == links["statusQueryGetUri"]
    assert status.json()["customStatus"] == "waiting for go"


async def test_fan_out_fan_in_in_windows(app: Hosted) -> None:
    links = await app.start("fan_out", {"n": 40, "window": 8})
    result = await app.engine.wait_for(links["id"])
    assert result["output"] == sum(i * i for i in range(40))
    assert result["customStatus"] == {"done": 40}


async def test_human_interaction_event_wins_over_the_timer(app: Hosted) -> None:
    links = await app.start("approval", {"hours": 24})
    await app.engine.run_until_idle()
    response = await app.http.post(f"/api/raise/{links['id']}/approve", json={"by": "sam"})
    assert response.status_code == 202
    result = await app.engine.wait_for(links["id"])
    # As on Azure, the Python client's raise_event JSON-encodes the data twice, so the orchestrator
    # receives JSON text (azure-functions-durable-python issue #295).
    assert result["output"] == {"approved": '{"by": "sam"}'}
    assert app.engine.is_idle()  # the cancelled 24-hour timer is gone


async def test_human_interaction_times_out_on_the_virtual_clock(app: Hosted) -> None:
    links = await app.start("approval", {"hours": 48})
    await app.engine.run_until_idle()
    started = app.clock.now()
    await app.clock.advance(timedelta(days=2))
    result = await app.engine.wait_for(links["id"])
    assert result["output"]["approved"] is None
    assert parse_time(result["output"]["timed_out_at"]) == started + timedelta(hours=48)


async def test_three_day_timer_fires_exactly_when_due(app: Hosted) -> None:
    links = await app.start("sleeper", {"days": 3})
    await app.engine.run_until_idle()
    started = app.clock.now()
    await app.clock.advance(timedelta(days=3) - timedelta(seconds=1))
    assert (await app.http.get(links["statusQueryGetUri"])).json()["runtimeStatus"] == "Running"
    await app.clock.advance(timedelta(seconds=1))
    result = await app.engine.wait_for(links["id"])
    assert parse_time(result["output"]) == started + timedelta(days=3)


async def test_retry_exhausts_into_failure_after_spaced_attempts(app: Hosted) -> None:
    links = await app.start("retrying", {"key": "http-exhaust", "succeed_on": 99, "interval_ms": 30_000})
    await app.engine.run_until_idle()
    await app.clock.advance(timedelta(minutes=2))
    result = await app.engine.wait_for(links["id"])
    assert result["runtimeStatus"] == "Failed"
    assert "Orchestrator function 'retrying' failed" in result["output"]
    assert "ConnectionError: attempt 3 failed" in result["output"]
    history = (await app.http.get(f"/api/status/{links['id']}")).json()["history"]
    failures = [parse_time(e["Timestamp"]) for e in history if e["EventType"] == "TaskFailed"]
    assert len(failures) == 3
    assert [b - a for a, b in itertools.pairwise(failures)] == [timedelta(seconds=30)] * 2


async def test_continue_as_new_carries_unconsumed_events_to_the_next_generation(app: Hosted) -> None:
    links = await app.start("counter", {"n": 0, "limit": 2, "wait_for": "tick"})
    await app.engine.run_until_idle()
    # Hold the instance so all three events reach one episode; two are left for later generations.
    assert (await app.http.post(links["suspendPostUri"].replace("{text}", "hold"))).status_code == 202
    for value in ("a", "b", "c"):
        url = links["sendEventPostUri"].replace("{eventName}", "tick")
        assert (await app.http.post(url, json=value)).status_code == 202
    await app.engine.run_until_idle()
    assert (await app.http.post(links["resumePostUri"].replace("{text}", "go"))).status_code == 202
    result = await app.engine.wait_for(links["id"])
    assert result["output"] == {"n": 2, "limit": 2, "wait_for": "tick", "seen": ["a", "b", "c"]}


async def test_sub_orchestration_failure_propagates_to_the_parent(app: Hosted) -> None:
    caught = await app.engine.wait_for((await app.start("parent", {"fail": True}))["id"])
    assert caught["output"]["ok"] == 4
    assert "Orchestrator function 'child' failed: child refused 9" in caught["output"]["caught"]
    failed = await app.engine.wait_for((await app.start("parent", {"fail": True, "propagate": True}))["id"])
    assert failed["runtimeStatus"] == "Failed"
    assert "Orchestrator function 'parent' failed" in failed["output"] and "child refused 9" in failed["output"]


async def test_suspend_holds_events_and_resume_releases_them(app: Hosted) -> None:
    instance = (await app.start("waiter", None))["id"]
    await app.engine.run_until_idle()
    assert (await app.http.post(f"/api/control/{instance}/suspend")).status_code == 202
    await app.http.post(f"/api/raise/{instance}/go", json="now")
    await app.engine.run_until_idle()
    held = (await app.http.get(f"/api/status/{instance}")).json()
    assert held["runtimeStatus"] == "Suspended" and held["customStatus"] == "waiting for go"
    assert (await app.http.post(f"/api/control/{instance}/resume")).status_code == 202
    result = await app.engine.wait_for(instance)
    assert result["output"] == ['"now"', "Hello again!"]


async def test_terminate_stops_an_instance_and_a_second_terminate_is_gone(app: Hosted) -> None:
    links = await app.start("waiter", None)
    await app.engine.run_until_idle()
    assert (await app.http.post(f"/api/control/{links['id']}/terminate")).status_code == 202
    result = await app.engine.wait_for(links["id"])
    assert result["runtimeStatus"] == "Terminated" and result["output"] == "operator hung up"
    again = await app.http.post(links["terminatePostUri"].replace("{text}", "again"))
    assert again.status_code == 410 and again.content == b""
    # The SDK client treats 410 on terminate as "already finished", not as an error.
    assert (await app.http.post(f"/api/control/{links['id']}/terminate")).status_code == 202


async def test_duplicate_start_of_a_running_instance_is_a_conflict(app: Hosted) -> None:
    await app.start("waiter", None, instance_id="call-42")
    duplicate = await app.http.post("/runtime/webhooks/durabletask/orchestrators/waiter/call-42")
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "instance_exists"
    # Through the SDK the starter raises, and the host turns that into a 500.
    assert (await app.http.post("/api/start/waiter", params={"id": "call-42"})).status_code == 500


async def test_list_page_and_purge_instances(app: Hosted) -> None:
    done = [(await app.start("chaining", {"name": n}))["id"] for n in ("a", "b", "c")]
    running = (await app.start("waiter", None))["id"]
    for instance in done:
        await app.engine.wait_for(instance)
    await app.engine.run_until_idle()
    listed = (await app.http.get("/api/list", params={"status": "Completed"})).json()
    assert listed == sorted(done)
    assert (await app.http.get("/api/list", params={"status": "Running"})).json() == [running]
    pages, token = [], None
    while True:  # bounded: 4 instances, 2 per page
        headers = {"x-ms-continuation-token": token} if token else {}
        page = await app.http.get("/runtime/webhooks/durabletask/instances", params={"top": "2"}, headers=headers)
        pages.append([s["instanceId"] for s in page.json()])
        token = page.headers.get("x-ms-continuation-token")
        if not token or len(pages) > 3:
            break
    assert sorted(i for page in pages for i in page) == sorted([*done, running]) and len(pages) == 2
    assert (await app.http.post(f"/api/control/{done[0]}/purge")).json() == {"deleted": 1}
    assert (await app.http.get(f"/api/status/{done[0]}")).status_code == 404
    refused = await app.http.delete(f"/runtime/webhooks/durabletask/instances/{running}")
    assert refused.status_code == 412
    purged = await app.http.delete(
        "/runtime/webhooks/durabletask/instances", params={"createdTimeFrom": "2000-01-01T00:00:00Z"}
    )
    assert purged.json() == {"instancesDeleted": 2}

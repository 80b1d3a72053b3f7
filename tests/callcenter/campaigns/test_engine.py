"""The campaign orchestration on the local engine with a virtual clock and a stand-in call orchestration."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.orchestrations import campaign_activities
from callcenter.orchestrations.campaign import DIALS_PER_GENERATION, HISTORY_LIMIT
from callcenter.store import campaigns as campaign_store
from devstack.durable import VirtualClock
from tests.callcenter.campaigns import fake_calls
from tests.callcenter.campaigns.conftest import START, Stack, hosted

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def settings(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Renewals",
        "agent": "outreach",
        "script": "Remind {name} that plan {plan} renews soon.",
        "calling_window": {"days": ALL_DAYS, "start": "00:00", "end": "23:59", "time_zone": "UTC"},
        "pacing": {"max_concurrent": 5, "max_calls_per_minute": 10},
        "attempts": {"max_per_contact": 3, "retry_delay_minutes": 30},
        "voicemail_policy": "hang_up",
    }
    return {**base, **overrides}


def contacts_csv(numbers: list[str], zones: list[str] | None = None) -> str:
    rows = ["phone,name,plan,time_zone"]
    rows += [f"{n},Person {i},Gold,{(zones or [''])[i % len(zones or [''])]}" for i, n in enumerate(numbers)]
    return "\n".join(rows) + "\n"


def numbers(prefix: str, count: int) -> list[str]:
    return [f"+1{prefix}{i:04d}" for i in range(count)]


def dials_of(campaign_id: str) -> list[dict[str, Any]]:
    return sorted((d for d in fake_calls.DIALS if d["call_id"].startswith(campaign_id)), key=lambda d: d["started"])


def assert_paced(dials: list[dict[str, Any]], max_concurrent: int, per_minute: int) -> None:
    """At every dial instant: calls in progress within the limit, and starts in the last 60 s too."""
    for dial in dials:
        at = dial["started"]
        live = [d for d in dials if d["started"] <= at < d["ended"]]  # ended is None only while running
        assert len(live) <= max_concurrent, (at, len(live))
        recent = [d for d in dials if at - timedelta(seconds=60) < d["started"] <= at]
        assert len(recent) <= per_minute, (at, len(recent))


async def test_two_hundred_contacts_in_four_slices_finish_with_the_right_attempts_within_pacing(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(campaign_store, "SLICE_SIZE", 50)  # four partitions, each with its own queue
    phones = numbers("555100", 200)
    scripts = {
        0: [("completed", 120)],
        1: [("no_answer", 45)],  # never answers: 2 attempts, ends no_answer
        2: [("busy", 5), ("completed", 90)],
        3: [("voicemail", 20)],  # the hang_up policy retries voicemail; ends voicemail
        4: [("transferred", 200)],
    }
    expected_attempts = {0: 1, 1: 2, 2: 2, 3: 2, 4: 1}
    expected_bucket = {0: "completed", 1: "no_answer", 2: "completed", 3: "voicemail", 4: "transferred"}
    for i, phone in enumerate(phones):
        fake_calls.BEHAVIOURS[phone] = scripts[i % 5]
    body = settings(attempts={"max_per_contact": 2, "retry_delay_minutes": 30})
    created = await stack.create(body, contacts_csv(phones))
    campaign_id = created["campaign"]["id"]
    assert created["accepted"] == 200 and created["rejected"] == []

    final = await stack.run_until_finished(campaign_id, step=timedelta(hours=1))

    assert final["status"] == "completed"
    contacts = await stack.contacts(campaign_id)
    assert len(contacts) == 200
    for contact in contacts:
        kind = phones.index(contact["phone"]) % 5
        assert contact["attempts"] == expected_attempts[kind], contact
        assert contact["outcome"] == expected_bucket[kind], contact
        assert len(contact["call_ids"]) == contact["attempts"]
    counters = final["counters"]
    assert counters["completed"] == 80 and counters["no_answer"] == 40 and counters["voicemail"] == 40
    assert counters["transferred"] == 40 and counters["pending"] == 0 and counters["in_progress"] == 0
    dials = dials_of(campaign_id)
    assert len(dials) == sum(expected_attempts[i % 5] for i in range(200))
    assert Counter(d["call_id"] for d in dials).most_common(1)[0][1] == 1  # no attempt dialled twice
    assert_paced(dials, max_concurrent=5, per_minute=10)
    # Many generations, each with a bounded history.
    assert len(dials) > 2 * DIALS_PER_GENERATION
    assert stack.history_peak["campaign"] <= HISTORY_LIMIT
    print("largest campaign history:", stack.history_peak["campaign"], "events; bound", HISTORY_LIMIT)


async def test_calling_windows_hold_in_three_time_zones_across_a_dst_change_and_a_holiday(
    campaign_env: dict[str, str], tmp_path: Path
) -> None:
    # Friday 2025-03-07 12:00 UTC; New York moves to daylight time on Sunday 2025-03-09.
    async with hosted(tmp_path, VirtualClock(datetime(2025, 3, 7, 12, 0, tzinfo=UTC))) as stack:
        zones = ["America/New_York", "Europe/Berlin", "Asia/Tokyo"]
        phones = numbers("555200", 9)
        for phone in phones:
            fake_calls.BEHAVIOURS[phone] = [("no_answer", 30), ("no_answer", 30), ("completed", 60)]
        window = {
            "days": ALL_DAYS[:6],
            "start": "09:00",
            "end": "17:00",
            "time_zone": "UTC",
            "holidays": ["2025-03-10"],
        }
        body = settings(calling_window=window, attempts={"max_per_contact": 3, "retry_delay_minutes": 600})
        created = await stack.create(body, contacts_csv(phones, zones))
        campaign_id = created["campaign"]["id"]
        await stack.run_until_finished(campaign_id, step=timedelta(hours=4))

        dials = dials_of(campaign_id)
        assert len(dials) == 27
        zone_of = {phone: zones[i % 3] for i, phone in enumerate(phones)}
        for dial in dials:
            local = dial["started"].astimezone(ZoneInfo(zone_of[dial["number"]]))
            assert local.weekday() != 6 and local.date().isoformat() != "2025-03-10", local  # no Sunday, no holiday
            assert 9 <= local.hour < 17, local
        new_york = sorted(d["started"] for d in dials if zone_of[d["number"]] == "America/New_York")
        # Before the change 09:00 local is 14:00 UTC; after it, 13:00 UTC (Tuesday 11th: Monday is a holiday).
        assert datetime(2025, 3, 8, 14, 0, tzinfo=UTC) in new_york
        assert datetime(2025, 3, 11, 13, 0, tzinfo=UTC) in new_york


async def test_pause_stops_dialling_resume_continues_and_cancel_lets_live_calls_finish(stack: Stack) -> None:
    phones = numbers("555300", 30)
    for phone in phones:
        fake_calls.BEHAVIOURS[phone] = [("completed", 600)]
    body = settings(pacing={"max_concurrent": 3, "max_calls_per_minute": 30})
    campaign_id = (await stack.create(body, contacts_csv(phones)))["campaign"]["id"]
    await stack.advance(timedelta(minutes=5))
    assert len(dials_of(campaign_id)) == 3

    paused = await stack.control(campaign_id, "pause")
    assert paused.status_code == 200 and paused.json()["campaign"]["status"] == "paused"
    assert (await stack.control(campaign_id, "pause")).status_code == 409
    await stack.advance(timedelta(hours=2))
    assert len(dials_of(campaign_id)) == 3  # the three live calls finished; nobody new was dialled
    assert (await stack.campaign(campaign_id))["counters"]["completed"] == 3

    assert (await stack.control(campaign_id, "resume")).json()["campaign"]["status"] == "running"
    await stack.advance(timedelta(minutes=1))
    assert len(dials_of(campaign_id)) == 6

    cancelled = await stack.control(campaign_id, "cancel")
    assert cancelled.json()["campaign"]["status"] == "cancelled"
    assert (await stack.control(campaign_id, "resume")).status_code == 409
    await stack.advance(timedelta(hours=1))
    final = await stack.campaign(campaign_id)
    assert len(dials_of(campaign_id)) == 6  # calls in progress finished, no new dial
    assert final["status"] == "cancelled" and final["counters"]["completed"] == 6
    assert final["counters"]["pending"] == 24 and final["counters"]["in_progress"] == 0
    assert await stack.engine_status(campaign_id) == "Completed"
    assert (await stack.control(campaign_id, "launch")).status_code == 404


async def test_a_number_put_on_do_not_call_mid_campaign_is_never_dialled_again(stack: Stack) -> None:
    phones = numbers("555400", 6)
    for phone in phones:
        fake_calls.BEHAVIOURS[phone] = [("no_answer", 30)]
    body = settings(pacing={"max_concurrent": 6, "max_calls_per_minute": 60})
    campaign_id = (await stack.create(body, contacts_csv(phones)))["campaign"]["id"]
    await stack.advance(timedelta(minutes=5))
    assert len(dials_of(campaign_id)) == 6  # first attempts done; retries due in 30 minutes
    added = await stack.http.post("/api/do-not-call", json={"number": phones[0], "reason": "asked by email"})
    assert added.status_code == 201 and added.json()["source"] == "api"
    final = await stack.run_until_finished(campaign_id, step=timedelta(hours=1))

    assert [d["number"] for d in dials_of(campaign_id)].count(phones[0]) == 1
    assert [d["number"] for d in dials_of(campaign_id)].count(phones[1]) == 3
    assert final["counters"]["do_not_call"] == 1 and final["counters"]["no_answer"] == 5
    blocked = await stack.contacts(campaign_id, outcome="do_not_call")
    assert [c["phone"] for c in blocked] == [phones[0]]
    await stack.http.delete(f"/api/do-not-call/{phones[0]}")


async def test_voicemail_policy_reaches_the_call_and_a_left_message_is_not_retried(stack: Stack) -> None:
    phones = numbers("555500", 2)
    for phone in phones:
        fake_calls.BEHAVIOURS[phone] = [("voicemail", 20)]
    left = await stack.create(settings(voicemail_policy="leave_message"), contacts_csv(phones[:1]))
    hung_up = await stack.create(settings(voicemail_policy="hang_up"), contacts_csv(phones[1:]))
    await stack.run_until_finished(left["campaign"]["id"])
    await stack.run_until_finished(hung_up["campaign"]["id"])
    left_dials = dials_of(left["campaign"]["id"])
    assert [d["voicemail_policy"] for d in left_dials] == ["leave_message"]  # one message, no retry
    assert [d["voicemail_policy"] for d in dials_of(hung_up["campaign"]["id"])] == ["hang_up"] * 3
    record = (await stack.contacts(left["campaign"]["id"]))[0]
    assert record["outcome"] == "voicemail" and record["attempts"] == 1


async def test_a_claim_that_runs_again_after_committing_returns_the_same_calls(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = campaign_activities._write_call_records
    failures = {"left": 1}

    async def flaky_write(settings: Any, records: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("storage went away after the claim committed")
        await real_write(settings, records)

    monkeypatch.setattr(campaign_activities, "_write_call_records", flaky_write)
    phones = numbers("555600", 4)
    campaign_id = (await stack.create(settings(), contacts_csv(phones)))["campaign"]["id"]
    final = await stack.run_until_finished(campaign_id)
    assert failures["left"] == 0
    dials = dials_of(campaign_id)
    assert sorted(d["number"] for d in dials) == phones  # the retried claim dialled each contact once
    assert final["counters"]["completed"] == 4 and final["counters"]["in_progress"] == 0


async def test_host_restart_mid_campaign_resumes_without_dialling_an_attempt_twice(
    campaign_env: dict[str, str], tmp_path: Path
) -> None:
    phones = numbers("555700", 12)
    for i, phone in enumerate(phones):
        fake_calls.BEHAVIOURS[phone] = [("no_answer", 40), ("completed", 300)] if i % 2 else [("completed", 300)]
    clock = VirtualClock(START)
    async with hosted(tmp_path, clock) as stack:
        body = settings(pacing={"max_concurrent": 4, "max_calls_per_minute": 8})
        campaign_id = (await stack.create(body, contacts_csv(phones)))["campaign"]["id"]
        await stack.advance(timedelta(minutes=3))
        before = len(dials_of(campaign_id))
        assert 0 < before < 18
    async with hosted(tmp_path, VirtualClock(clock.now())) as stack:
        final = await stack.run_until_finished(campaign_id, step=timedelta(hours=1))
    dials = dials_of(campaign_id)
    assert len(dials) == 18 and len({d["call_id"] for d in dials}) == 18
    assert len({(d["call_id"], d["execution"]) for d in dials}) == 18  # one child execution per attempt
    assert final["counters"]["completed"] == 12

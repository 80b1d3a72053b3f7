"""KPI counters in Table Storage (Azurite): each ended conversation counted once, races included."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from callcenter.config import load_settings
from callcenter.store import stats
from tests.support.azurite import run_azurite

DAY = datetime(2026, 10, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


@pytest.fixture
def settings(tables: str):
    return load_settings({"CALLCENTER_TABLES_CONNECTION": tables})


def ended(call_id: str, minute: int = 0, **fields: object) -> stats.EndedConversation:
    values: dict[str, object] = {
        "agent": "retail",
        "channel": "phone",
        "started_at": DAY + timedelta(minutes=minute),
        "outcome": "completed",
        "connected": True,
        "handle_s": 30.0,
        "cost": 0.25,
        **fields,
    }
    return stats.EndedConversation(call_id=call_id, **values)  # type: ignore[arg-type]


async def day_totals(settings, dim: str = "all") -> dict[str, float]:
    buckets = await stats.read_buckets(settings, DAY, DAY + timedelta(days=1), stats.Bucket.DAY, dim)
    return buckets[0].values


async def test_a_redelivered_end_is_counted_once(settings) -> None:
    assert await stats.count_ended(settings, [ended("redelivered")]) == 1
    assert await stats.count_ended(settings, [ended("redelivered")]) == 0
    totals = await day_totals(settings, stats.dimension(agent="retail"))
    assert totals["conversations"] == 1 and totals["cost"] == 0.25


async def test_ends_racing_on_the_same_counters_are_all_counted_and_duplicates_are_not(settings) -> None:
    calls = [ended(f"race-{index}", minute=90, agent="racer") for index in range(12)]
    # each end delivered twice, all at once
    results = await asyncio.gather(*(stats.count_ended(settings, [call]) for call in calls + calls))
    assert sum(results) == 12
    totals = await day_totals(settings, stats.dimension(agent="racer"))
    assert totals["conversations"] == 12 and totals["o_completed"] == 12
    assert totals["cost"] == pytest.approx(3.0)
    hours = await stats.read_buckets(settings, DAY, DAY + timedelta(hours=3), stats.Bucket.HOUR, "a=racer")
    assert [h.values.get("conversations", 0) for h in hours] == [0, 12, 0]


async def test_a_batch_larger_than_one_transaction_is_split_and_counted_whole(settings) -> None:
    calls = [ended(f"bulk-{index}", minute=index, agent=f"bulk{index % 3}", channel="web") for index in range(300)]
    assert await stats.count_ended(settings, calls) == 300
    assert (await day_totals(settings, stats.dimension(channel="web")))["conversations"] == 300
    assert (await day_totals(settings, stats.dimension("bulk1", "web")))["conversations"] == 100


def test_handle_times_fall_in_fixed_bins() -> None:
    assert [stats.handle_bin(s) for s in (0, 14.9, 15, 59, 3599, 3600, 99_999)] == [0, 0, 1, 3, 14, 15, 15]


def test_names_that_cannot_be_row_keys_are_made_safe() -> None:
    assert stats.dimension(agent="a/b'c#", channel="web") == "a=a_b_c_,ch=web"


async def test_the_idempotency_window_is_the_partitions_last_recent_ends(settings, monkeypatch) -> None:
    monkeypatch.setattr(stats, "RECENT", 5)
    calls = [ended(f"window-{index}", minute=600, agent="window") for index in range(7)]
    await stats.count_ended(settings, calls)
    same_partition = [c for c in calls if stats.shard_of(c.call_id) == stats.shard_of(calls[-1].call_id)]
    assert await stats.count_ended(settings, [same_partition[-1]]) == 0  # within the window: once
    totals = await day_totals(settings, stats.dimension(agent="window"))
    assert totals["conversations"] == 7

"""Call records, events, notices and callback de-duplication in Table Storage (Azurite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callcenter.config import load_settings
from callcenter.errors import InvalidInput, NotFound
from callcenter.store import calls as store
from tests.support.azurite import run_azurite


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


@pytest.fixture
def settings(tables: str):
    return load_settings({"CALLCENTER_TABLES_CONNECTION": tables})


def record(call_id: str, **fields: object) -> store.CallRecord:
    return store.CallRecord(call_id=call_id, direction="inbound", agent="default", started_at=store.now_iso(), **fields)  # type: ignore[arg-type]


async def test_claiming_a_call_twice_fails_the_second_time(settings) -> None:
    assert await store.claim_call(settings, record("c-claim", context={"name": "Ana"})) is True
    assert await store.claim_call(settings, record("c-claim")) is False
    assert (await store.get_call(settings, "c-claim")).context == {"name": "Ana"}


async def test_updates_merge_and_unknown_calls_are_not_found(settings) -> None:
    await store.claim_call(settings, record("c-upd"))
    await store.update_call(settings, "c-upd", status="connected", usage={"input_tokens": 5})
    fetched = await store.get_call(settings, "c-upd")
    assert fetched.status == "connected" and fetched.usage == {"input_tokens": 5} and fetched.agent == "default"
    with pytest.raises(NotFound):
        await store.get_call(settings, "nope")
    with pytest.raises(NotFound):
        await store.update_call(settings, "nope", status="x")


async def test_events_keep_order_and_a_retried_batch_does_not_duplicate(settings) -> None:
    batch = [
        {"type": "transcript", "role": "agent", "text": f"line {i}", "ts": f"2026-11-26T10:00:0{i}Z"} for i in range(5)
    ]
    await store.append_events(settings, "c-ev", batch, "b1")
    await store.append_events(settings, "c-ev", batch, "b1")
    events = await store.call_events(settings, "c-ev")
    assert [e["text"] for e in events] == [f"line {i}" for i in range(5)]


async def test_a_retried_batch_with_newer_events_appended_stores_each_numbered_event_once(settings) -> None:
    lines = [
        {"type": "transcript", "role": "agent", "text": f"line {i}", "ts": "2026-11-26T10:00:00.000Z", "seq": i + 1}
        for i in range(4)
    ]
    await store.append_events(settings, "c-seq", lines[:2], "first-attempt")
    await store.append_events(settings, "c-seq", lines, "retry-with-more")  # another body, another hash
    events = await store.call_events(settings, "c-seq")
    assert [e["text"] for e in events] == [f"line {i}" for i in range(4)]


async def test_event_ids_are_seen_once(settings) -> None:
    assert await store.first_sighting(settings, "c-seen", "evt-1") is True
    assert await store.first_sighting(settings, "c-seen", "evt-1") is False
    assert await store.first_sighting(settings, "c-other", "evt-1") is True


async def test_notices_are_handed_over_once_in_order(settings) -> None:
    await store.add_notice(settings, "c-not", {"type": "a"})
    await store.add_notice(settings, "c-not", {"type": "b"})
    assert [n["type"] for n in await store.take_notices(settings, "c-not")] == ["a", "b"]
    assert await store.take_notices(settings, "c-not") == []


async def test_listing_filters_by_direction_and_pages(settings) -> None:
    for i in range(3):
        await store.claim_call(
            settings,
            store.CallRecord(call_id=f"list-out-{i}", direction="outbound", agent="x", started_at=store.now_iso()),
        )
    page, token = await store.list_calls(settings, direction="outbound", limit=2)
    assert len(page) == 2 and token is not None
    rest, last = await store.list_calls(settings, direction="outbound", limit=2, page_token=token)
    assert {r.call_id for r in page} | {r.call_id for r in rest} == {f"list-out-{i}" for i in range(3)}
    assert last is None


async def test_records_spread_over_partitions_and_list_pages_across_them(settings) -> None:
    ids = [f"shard-{i}" for i in range(12)]
    for call_id in ids:
        record = store.CallRecord(call_id=call_id, direction="inbound", agent="x", started_at=store.now_iso())
        await store.claim_call(settings, record)
    assert len({store.call_partition(c) for c in ids}) > 1
    seen: list[str] = []
    token = None
    for _ in range(10):
        page, token = await store.list_calls(settings, direction="inbound", limit=5, page_token=token)
        seen += [r.call_id for r in page]
        if token is None:
            break
    assert len(seen) == len(set(seen))  # no record twice
    assert sorted(c for c in seen if c.startswith("shard-")) == sorted(ids)  # each in whichever partition
    assert (await store.get_call(settings, "shard-7")).call_id == "shard-7"


async def test_a_page_token_the_api_never_gave_out_is_refused(settings) -> None:
    for token in ("list-out-1", "calls-01/a", "call-01/", "call-' or 1/a"):
        with pytest.raises(InvalidInput):
            await store.list_calls(settings, page_token=token)


def test_a_campaigns_calls_to_neighbouring_contacts_share_a_partition_and_others_spread() -> None:
    campaign = "cmp-0123456789abcdef"
    block = {store.call_partition(store.campaign_call_id(campaign, n, a)) for n in range(1000, 2000) for a in (1, 2)}
    assert block == {f"call-{campaign}-001"}
    assert store.call_partition(store.campaign_call_id(campaign, 2000, 1)) == f"call-{campaign}-002"
    assert len({store.call_partition(f"call-{i}") for i in range(200)}) == store.SHARDS

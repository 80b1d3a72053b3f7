"""The do-not-call list in Table Storage (Azurite): HMAC row keys, key rotation, rows from before hashing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.data.tables import TableServiceClient

from callcenter.config import SettingError, Settings, load_settings
from callcenter.errors import FeatureNotConfigured, NotFound
from callcenter.store import donotcall as store
from tests.support.azurite import run_azurite

KEY_A = "dnc-key-a-" + "a" * 32
KEY_B = "dnc-key-b-" + "b" * 32


@pytest.fixture(scope="module")
def azurite() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


@pytest.fixture
def tables(azurite: str) -> str:
    """Azurite with an empty do-not-call list (rows removed, the table kept: the app caches its creation)."""
    with TableServiceClient.from_connection_string(azurite) as service:
        service.create_table_if_not_exists(store.DO_NOT_CALL)
        client = service.get_table_client(store.DO_NOT_CALL)
        for row in list(client.list_entities()):
            client.delete_entity(row["PartitionKey"], row["RowKey"])
    return azurite


def settings_with(tables: str, current: str | None, previous: str | None = None) -> Settings:
    env = {"CALLCENTER_TABLES_CONNECTION": tables}
    if current:
        env["DNC_HASH_KEY"] = current
    if previous:
        env["DNC_HASH_KEY_PREVIOUS"] = previous
    return load_settings(env)


def stored_rows(tables: str) -> list[dict[str, Any]]:
    with TableServiceClient.from_connection_string(tables) as service:
        return [dict(e) for e in service.get_table_client(store.DO_NOT_CALL).list_entities()]


async def test_rows_are_keyed_by_an_hmac_and_never_hold_the_number(tables: str) -> None:
    settings = settings_with(tables, KEY_A)
    entry = await store.add_number(settings, "+15558310001", source="api", reason="asked")
    assert entry["number"] == "+15558310001" and entry["number_masked"] == "+1********01"
    rows = stored_rows(tables)
    assert rows, "nothing was stored"
    for row in rows:
        assert not any("5558310001" in str(value) for value in row.values()), row
    assert await store.listed(settings, ["+15558310001", "+15558310002"]) == {"+15558310001"}
    page, _ = await store.list_numbers(settings)
    assert [e["number_masked"] for e in page] == ["+1********01"] and "number" not in page[0]


async def test_rotation_keeps_numbers_listed_and_moves_each_to_the_new_key_when_read(tables: str) -> None:
    await store.add_number(settings_with(tables, KEY_A), "+15558310011", source="api")
    await store.add_number(settings_with(tables, KEY_A), "+15558310012", source="api")
    rotating = settings_with(tables, KEY_B, previous=KEY_A)
    assert await store.listed(rotating, ["+15558310011"]) == {"+15558310011"}
    counts = await store.key_report(rotating)
    assert counts == {store.HashKey.of(KEY_B).key_id: 1, store.HashKey.of(KEY_A).key_id: 1}
    # Once every row has been read under the new key, the old key's marker goes and the old key can too.
    await store.get_number(rotating, "+15558310012")
    assert await store.key_report(rotating) == {store.HashKey.of(KEY_B).key_id: 2}
    rotated = settings_with(tables, KEY_B)
    assert await store.listed(rotated, ["+15558310011", "+15558310012"]) == {"+15558310011", "+15558310012"}


async def test_a_changed_key_without_the_previous_one_refuses_every_check(tables: str) -> None:
    await store.add_number(settings_with(tables, KEY_A), "+15558310021", source="api")
    changed = settings_with(tables, KEY_B)
    with pytest.raises(store.DoNotCallKeyMissing, match=store.HashKey.of(KEY_A).key_id):
        await store.listed(changed, ["+15558310021"])
    with pytest.raises(store.DoNotCallKeyMissing):
        await store.add_number(changed, "+15558310022", source="api")


async def test_rows_keyed_by_the_raw_number_are_honoured_and_migrated(tables: str) -> None:
    settings = settings_with(tables, KEY_A)
    await store.add_number(settings, "+15558310031", source="api")  # creates the table
    with TableServiceClient.from_connection_string(tables) as service:
        legacy = service.get_table_client(store.DO_NOT_CALL)
        for number in ("+15558310032", "+15558310033"):
            legacy.upsert_entity({"PartitionKey": store.PARTITION, "RowKey": number, "source": "api"})
    assert await store.listed(settings, ["+15558310032"]) == {"+15558310032"}  # read-both, re-keyed on read
    assert await store.migrate_raw_rows(settings) == 1
    assert not [row for row in stored_rows(tables) if row["RowKey"].startswith("+")]
    assert await store.listed(settings, ["+15558310031", "+15558310032", "+15558310033"]) == {
        "+15558310031",
        "+15558310032",
        "+15558310033",
    }
    await store.remove_number(settings, "+15558310033")
    with pytest.raises(NotFound):
        await store.get_number(settings, "+15558310033")


async def test_the_list_needs_a_key_of_at_least_32_characters(tables: str) -> None:
    with pytest.raises(FeatureNotConfigured):
        await store.listed(settings_with(tables, None), ["+15558310041"])
    with pytest.raises(SettingError, match="DNC_HASH_KEY"):
        settings_with(tables, "short")
    with pytest.raises(SettingError, match="DNC_HASH_KEY_PREVIOUS"):
        load_settings({"DNC_HASH_KEY_PREVIOUS": KEY_A})

"""`GET /api/stats`: a known set of conversations, every KPI checked, through the host and Azurite."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from callcenter.config import load_settings
from callcenter.store import stats
from tests.support.azurite import run_azurite


def conversation(call_id: str, agent: str, channel: str, start: str, outcome: str, **rest: object):
    values: dict[str, object] = {"connected": True, "handle_s": 0.0, "cost": 0.0, **rest}
    started = datetime.fromisoformat(start).replace(tzinfo=UTC)
    return stats.EndedConversation(call_id, agent, channel, started, outcome, **values)  # type: ignore[arg-type]


def tokens(total: int) -> dict[str, int]:
    return {"input_tokens": total * 2 // 3, "output_tokens": total // 3, "total_tokens": total}


SEED = [
    conversation("k1", "retail", "phone", "2026-11-02T10:15:00", "completed", handle_s=40.0, cost=0.10,
                 tool_calls=2, tool_failures=1, usage=tokens(150)),
    conversation("k2", "retail", "web", "2026-11-02T10:40:00", "transferred", handle_s=100.0, cost=0.20,
                 tool_calls=1, usage=tokens(300)),
    conversation("k3", "telecom", "phone", "2026-11-02T11:05:00", "abandoned", connected=False),
    conversation("k4", "telecom", "phone", "2026-11-02T11:30:00", "completed", handle_s=200.0, cost=0.30,
                 usage=tokens(450)),
    conversation("k5", "retail", "phone", "2026-11-03T09:00:00", "completed", handle_s=20.0, cost=0.05,
                 tool_calls=1, tool_failures=1, usage=tokens(75)),
]  # fmt: skip


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        settings = load_settings({"CALLCENTER_TABLES_CONNECTION": connection})
        asyncio.run(stats.count_ended(settings, SEED))
        yield connection


@pytest.fixture
def api(function_host, tables: str) -> Iterator[httpx.Client]:
    with function_host(CALLCENTER_TABLES_CONNECTION=tables) as base, httpx.Client(base_url=base, timeout=20) as client:
        yield client


def get_stats(api: httpx.Client, **params: str) -> dict:
    response = api.get("/api/stats", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_figure_of_two_days_by_day(api: httpx.Client) -> None:
    body = get_stats(api, **{"from": "2026-11-02T00:00:00Z", "to": "2026-11-04T00:00:00Z", "bucket": "day"})
    first, second = body["buckets"]
    assert first["start"] == "2026-11-02T00:00:00+00:00" and second["start"] == "2026-11-03T00:00:00+00:00"
    assert {k: first[k] for k in first if k not in ("start", "handle_time_bins")} == {
        "conversations": 4,
        "connected": 3,
        "contained": 2,
        "containment_rate": 0.6667,
        "transfer_rate": 0.3333,
        "abandonment_rate": 0.25,
        "avg_handle_s": 113.3,
        "p90_handle_s": 222.0,  # bins 30-45, 90-120, 180-240: rank 2.7 lies 70% into 180-240
        "cost": 0.6,
        "cost_per_conversation": 0.15,
        "cost_per_contained": 0.3,
        "tokens": {"input": 600, "output": 300, "total": 900},
        "tool_calls": 3,
        "tool_failures": 1,
        "tool_failure_rate": 0.3333,
        "outcomes": {
            "completed": 2,
            "transferred": 1,
            "abandoned": 1,
            "no-answer": 0,
            "busy": 0,
            "failed": 0,
            "voicemail": 0,
        },
    }
    assert first["handle_time_bins"] == [0, 0, 1, 0, 0, 1, 0, 1] + [0] * 8
    totals = body["totals"]
    assert (totals["conversations"], totals["connected"], totals["contained"]) == (5, 4, 3)
    assert (totals["containment_rate"], totals["transfer_rate"], totals["abandonment_rate"]) == (0.75, 0.25, 0.2)
    assert (totals["avg_handle_s"], totals["p90_handle_s"]) == (90.0, 216.0)
    assert (totals["cost"], totals["cost_per_conversation"], totals["cost_per_contained"]) == (0.65, 0.13, 0.2167)
    assert totals["tokens"] == {"input": 650, "output": 325, "total": 975}
    assert (totals["tool_calls"], totals["tool_failures"], totals["tool_failure_rate"]) == (4, 2, 0.5)
    assert body["handle_time_bin_edges_s"][:3] == [15, 30, 45]


def test_filters_by_agent_and_channel(api: httpx.Client) -> None:
    span = {"from": "2026-11-02", "to": "2026-11-04"}
    retail_phone = get_stats(api, **span, agent="retail", channel="phone")["totals"]
    assert (retail_phone["conversations"], retail_phone["contained"], retail_phone["cost"]) == (2, 2, 0.15)
    assert retail_phone["cost_per_contained"] == 0.075 and retail_phone["tool_failure_rate"] == pytest.approx(
        2 / 3, abs=1e-4
    )
    web = get_stats(api, **span, channel="web")["totals"]
    assert (web["conversations"], web["transfer_rate"], web["containment_rate"]) == (1, 1.0, 0.0)
    assert web["cost_per_contained"] is None  # nothing contained: no figure rather than a division by zero
    telecom = get_stats(api, **span, agent="telecom")["totals"]
    assert (telecom["conversations"], telecom["abandonment_rate"], telecom["avg_handle_s"]) == (2, 0.5, 200.0)


def test_hour_buckets_show_outcomes_over_time(api: httpx.Client) -> None:
    body = get_stats(api, **{"from": "2026-11-02T09:00:00Z", "to": "2026-11-02T12:00:00Z", "bucket": "hour"})
    assert [b["start"][11:16] for b in body["buckets"]] == ["09:00", "10:00", "11:00"]
    assert [b["conversations"] for b in body["buckets"]] == [0, 2, 2]
    assert body["buckets"][1]["outcomes"]["transferred"] == 1 and body["buckets"][2]["outcomes"]["abandoned"] == 1
    assert body["buckets"][0]["containment_rate"] is None


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"bucket": "week"}, "bad_bucket"),
        ({"from": "yesterday"}, "bad_time"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "bad_range"),
        ({"from": "2026-01-01", "to": "2026-11-01", "bucket": "hour"}, "bad_range"),
        ({"channel": "fax"}, "bad_filter"),
        ({"agent": "x' or 1 eq 1"}, "bad_filter"),
    ],
)
def test_bad_queries_get_a_400_naming_the_problem(api: httpx.Client, params: dict[str, str], code: str) -> None:
    response = api.get("/api/stats", params=params)
    assert response.status_code == 400 and response.json()["error"]["code"] == code


def test_stats_need_a_sign_in_when_the_deployment_requires_one(function_host, tables: str) -> None:
    with function_host(CALLCENTER_TABLES_CONNECTION=tables, REQUIRE_SIGNED_IN_USER="true") as base:
        response = httpx.get(f"{base}/api/stats", timeout=20)
    assert response.status_code == 401 and response.json()["error"]["code"] == "sign_in_required"

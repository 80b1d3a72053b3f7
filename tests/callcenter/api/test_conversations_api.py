"""Web conversations on record: session token, batched events, ending (browser or idle), history and KPIs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import jwt
import pytest

from callcenter import web_conversations as web
from callcenter.config import load_settings
from callcenter.store import calls as store
from callcenter.store import live
from tests.callcenter.api.test_session_api import API_KEY, FakeOpenAI
from tests.support.azurite import run_azurite
from tests.support.servers import serve


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


@pytest.fixture
def api(function_host, tables: str) -> Iterator[httpx.Client]:
    with (
        serve(FakeOpenAI().app()) as openai,
        function_host(
            CALLCENTER_TABLES_CONNECTION=tables, AZURE_OPENAI_ENDPOINT=openai, AZURE_OPENAI_API_KEY=API_KEY
        ) as base,
        httpx.Client(base_url=base, timeout=20) as client,
    ):
        yield client


def open_conversation(api: httpx.Client, agent: str = "retail") -> dict:
    response = api.post("/api/session", json={"agent": agent})
    assert response.status_code == 200, response.text
    return response.json()["conversation"]


def post(api: httpx.Client, conversation: dict, events: list[dict], token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token or conversation['token']}"}
    return api.post(conversation["events_url"], json={"events": events}, headers=headers)


LINES = [
    {"type": "transcript", "role": "agent", "text": "Hello, how can I help?", "seq": 1},
    {"type": "transcript", "role": "caller", "text": "Where is my order?", "seq": 2},
    {"type": "tool_call", "name": "get_order_status", "ok": True, "seq": 3},
    {"type": "usage", "usage": {"input_tokens": 1000, "output_tokens": 500, "total_tokens": 1500}, "seq": 4},
    {"type": "agent_changed", "agent": "telecom", "seq": 5},
]


def test_a_web_conversation_becomes_a_record_beside_phone_calls(api: httpx.Client, tables: str) -> None:
    conversation = open_conversation(api)
    assert post(api, conversation, LINES[:3]).status_code == 202
    assert post(api, conversation, LINES).status_code == 202  # retried with more: each seq stored once
    live = {c["call_id"]: c for c in api.get("/api/live").json()["conversations"]}
    assert live[conversation["id"]]["channel"] == "web" and live[conversation["id"]]["last_seq"] == 5
    assert live[conversation["id"]]["last_lines"][-1] == {"role": "caller", "text": "Where is my order?"}
    ended = post(api, conversation, [{"type": "ended", "reason": "caller_hung_up", "seq": 6}])
    assert ended.status_code == 202 and ended.json()["ended"] is True
    assert post(api, conversation, [{"type": "ended", "seq": 6}]).json()["ended"] is True  # redelivered
    detail = api.get(f"/api/calls/{conversation['id']}").json()
    record = detail["record"]
    assert (record["channel"], record["status"], record["outcome"], record["reason"]) == (
        "web",
        "ended",
        "completed",
        "caller_hung_up",
    )
    assert record["usage"] == {"input_tokens": 1000, "output_tokens": 500, "total_tokens": 1500}
    assert record["tool_calls"] == 1 and record["estimated_cost"] == 0.064  # 1k in x 0.032 + 0.5k out x 0.064
    assert [line["text"] for line in detail["transcript"]] == ["Hello, how can I help?", "Where is my order?"]
    history = api.get("/api/calls").json()["calls"]
    assert conversation["id"] in {call["call_id"] for call in history}
    day = record["started_at"][:10]
    until = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    totals = api.get("/api/stats", params={"from": day, "to": until, "channel": "web"}).json()["totals"]
    assert totals["conversations"] >= 1 and totals["tokens"]["total"] >= 1500
    assert conversation["id"] not in {c["call_id"] for c in api.get("/api/live").json()["conversations"]}


def test_stats_count_a_conversation_ended_twice_once(api: httpx.Client) -> None:
    conversation = open_conversation(api, agent="healthcare")
    post(api, conversation, [{"type": "transcript", "role": "caller", "text": "hi", "seq": 1}])
    for _ in range(3):
        post(api, conversation, [{"type": "ended", "seq": 2}])
    record = api.get(f"/api/calls/{conversation['id']}").json()["record"]
    day = record["started_at"][:10]
    until = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    totals = api.get("/api/stats", params={"from": day, "to": until, "agent": "healthcare"}).json()["totals"]
    assert totals["conversations"] == 1


def test_forged_expired_foreign_and_missing_tokens_are_refused(api: httpx.Client, tables: str) -> None:
    mine, other = open_conversation(api), open_conversation(api)
    event = [{"type": "transcript", "role": "caller", "text": "hello", "seq": 1}]
    claims = {"sub": mine["id"], "aud": web.AUDIENCE, "exp": int(time.time()) + 60}
    forged = jwt.encode(claims, b"x" * 32, algorithm="HS256")
    key = asyncio.run(web.signing_key(load_settings({"CALLCENTER_TABLES_CONNECTION": tables})))
    expired = jwt.encode({**claims, "exp": int(time.time()) - 5}, key, algorithm="HS256")
    for token, status, code in (
        (forged, 401, "token_invalid"),
        (expired, 401, "token_expired"),
        (other["token"], 403, "token_foreign"),
        ("not-a-jwt", 401, "token_invalid"),
    ):
        response = post(api, mine, event, token=token)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    bare = api.post(mine["events_url"], json={"events": event})
    assert bare.status_code == 401 and bare.json()["error"]["code"] == "token_required"
    assert api.get(f"/api/calls/{mine['id']}").json()["transcript"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"events": [{"type": "transcript", "text": "no seq"}]},
        {"events": [{"type": "shell", "seq": 1}]},
        {"events": "nope"},
        {"events": [{"type": "transcript", "role": "caller", "text": "x" * 5000, "seq": 1}]},
    ],
)
def test_malformed_batches_get_a_400(api: httpx.Client, body: dict) -> None:
    conversation = open_conversation(api)
    headers = {"authorization": f"Bearer {conversation['token']}"}
    response = api.post(conversation["events_url"], json=body, headers=headers)
    assert response.status_code == 400 and "error" in response.json()


async def test_a_browser_that_went_quiet_gets_an_ended_record(tables: str) -> None:
    settings = load_settings({"CALLCENTER_TABLES_CONNECTION": tables})
    record = await web.open_record(settings, "web-quiet-1", "retail")
    events = [{"type": "transcript", "role": "caller", "text": "hello?", "seq": 1, "ts": store.now_iso()}]
    await store.append_events(settings, record.call_id, events, "b")
    await live.touch_live(settings, record, events)
    entry = await live.live_entry(settings, record.call_id)
    assert entry is not None and entry["last_lines"] == [{"role": "caller", "text": "hello?"}]
    last = datetime.fromisoformat(entry["last_event_at"])
    again = await web.end_if_idle(settings, record.call_id, last + timedelta(seconds=web.IDLE_SECONDS - 1))
    assert again == last + timedelta(seconds=web.IDLE_SECONDS)  # not yet: look again then
    assert await web.end_if_idle(settings, record.call_id, last + timedelta(seconds=web.IDLE_SECONDS)) is None
    ended = await store.get_call(settings, record.call_id)
    assert (ended.status, ended.outcome, ended.reason, ended.ended_at) == (
        "ended",
        "completed",
        "idle_timeout",
        last.isoformat(timespec="milliseconds"),
    )
    assert await live.live_entry(settings, record.call_id) is None

"""The campaign and do-not-call HTTP API: uploads with bad rows, errors as JSON 4xx, export, in-call tools."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from callcenter.store import campaigns as campaign_store
from tests.callcenter.campaigns.conftest import Stack
from tests.callcenter.campaigns.test_engine import settings


async def test_csv_upload_accepts_good_rows_and_reports_each_bad_row_with_its_line(stack: Stack) -> None:
    text = (
        "phone,name,plan,time_zone\n"  # line 1
        "+15558000001,Ann,Gold,Europe/Paris\n"  # 2 ok
        "12345,Bob,Gold,\n"  # 3 not E.164
        "+15558000003,Cid,,\n"  # 4 no value for {plan}
        "+15558000001,Dup,Gold,\n"  # 5 duplicate of line 2
        '+15558000005,"Eve\nMultiline",Gold,Mars/Olympus\n'  # 6-7 unknown zone, reported at line 6
        "+15558000007,Fay,Gold\n"  # 8 wrong column count
        "\n"  # 9 blank: skipped
        "+1 555 800 0010,Gus,Silver,\n"  # 10 ok (spaces removed)
    )
    created = await stack.create(settings(), text)
    assert created["accepted"] == 2
    assert [(r["line"], r["reason"].split(" ")[0]) for r in created["rejected"]] == [
        (3, "phone"),
        (4, "no"),
        (5, "phone"),
        (6, "unknown"),
        (8, "expected"),
    ]
    assert "already on line 2" in created["rejected"][2]["reason"]
    campaign = created["campaign"]
    assert campaign["total"] == 2 and campaign["counters"]["pending"] == 2 and campaign["status"] == "running"
    listed = (await stack.http.get("/api/campaigns")).json()["campaigns"]
    assert campaign["id"] in [c["id"] for c in listed]
    contacts = await stack.contacts(campaign["id"])
    assert contacts[0]["time_zone"] == "Europe/Paris" and contacts[1]["phone"] == "+15558000010"
    assert contacts[1]["time_zone"] == "UTC"  # the campaign default


async def test_json_body_creates_a_campaign_and_export_and_filters_show_results(stack: Stack) -> None:
    body = {
        **settings(),
        "contacts": [
            {"phone": "+15558100001", "name": "Ann", "plan": "Gold"},
            {"phone": "+15558100002", "name": "Bob", "variables": {"plan": "Silver"}},
            {"phone": "+15558100003", "name": "Cid"},
            "not an object",
        ],
    }
    response = await stack.http.post("/api/campaigns", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["accepted"] == 2 and [r["line"] for r in created["rejected"]] == [3, 4]
    campaign_id = created["campaign"]["id"]
    await stack.run_until_finished(campaign_id)
    completed = (await stack.http.get(f"/api/campaigns/{campaign_id}/contacts", params={"outcome": "completed"})).json()
    assert len(completed["contacts"]) == 2 and completed["next_page_token"] is None
    first = (await stack.http.get(f"/api/campaigns/{campaign_id}/contacts", params={"limit": "1"})).json()
    assert len(first["contacts"]) == 1 and first["next_page_token"] == "c0000001"
    export = await stack.http.get(f"/api/campaigns/{campaign_id}/export.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [(r["phone"], r["outcome"], r["attempts"]) for r in rows] == [
        ("+15558100001", "completed", "1"),
        ("+15558100002", "completed", "1"),
    ]
    assert json.loads(rows[1]["variables"]) == {"plan": "Silver"}
    record = await stack.http.get(f"/api/campaigns/{campaign_id}")
    assert record.json()["campaign"]["finished_at"]


async def test_contacts_page_filter_and_export_in_upload_order_across_slices(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(campaign_store, "SLICE_SIZE", 50)
    phones = [f"+1555820{i:04d}" for i in range(120)]  # slices of 50, 50 and 20
    body = {**settings(), "contacts": [{"phone": p, "name": f"P{i}", "plan": "Gold"} for i, p in enumerate(phones)]}
    campaign_id = (await stack.http.post("/api/campaigns", json=body)).json()["campaign"]["id"]
    assert (await stack.http.get(f"/api/campaigns/{campaign_id}")).json()["campaign"]["counters"]["pending"] == 120

    pages, token = [], None
    for _ in range(10):
        params = {"limit": "40", **({"page_token": token} if token else {})}
        page = (await stack.http.get(f"/api/campaigns/{campaign_id}/contacts", params=params)).json()
        pages.append([c["phone"] for c in page["contacts"]])
        token = page["next_page_token"]
        if token is None:
            break
    assert [len(p) for p in pages] == [40, 40, 40, 0] and [p for page in pages for p in page] == phones

    final = await stack.run_until_finished(campaign_id)
    assert final["counters"]["completed"] == 120 and final["counters"]["pending"] == 0
    completed = await stack.contacts(campaign_id, outcome="completed")
    assert [c["phone"] for c in completed] == phones
    rows = list(csv.DictReader(io.StringIO((await stack.http.get(f"/api/campaigns/{campaign_id}/export.csv")).text)))
    assert [r["phone"] for r in rows] == phones and {r["outcome"] for r in rows} == {"completed"}


async def test_bad_requests_get_clear_json_errors(stack: Stack) -> None:
    http = stack.http

    async def error(response_status: int, method: str, path: str, **kwargs: object) -> str:
        response = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == response_status, response.text
        return str(response.json()["error"]["code"])

    contacts = {"contacts": [{"phone": "+15558200001", "plan": "x"}]}
    assert (
        await error(400, "POST", "/api/campaigns", content=b"{not json", headers={"content-type": "application/json"})
        == "invalid_json"
    )
    assert (
        await error(400, "POST", "/api/campaigns", json={**settings(), "pacing": {"max_concurrent": 0}, **contacts})
        == "invalid_campaign"
    )
    bad_zone = {**settings(), "calling_window": {"time_zone": "Nowhere/City"}, **contacts}
    assert await error(400, "POST", "/api/campaigns", json=bad_zone) == "invalid_campaign"
    backwards = {**settings(), "calling_window": {"start": "18:00", "end": "09:00"}, **contacts}
    assert await error(400, "POST", "/api/campaigns", json=backwards) == "invalid_campaign"
    assert (
        await error(400, "POST", "/api/campaigns", json={**settings(script="Hi {0}"), **contacts}) == "invalid_campaign"
    )
    assert await error(404, "POST", "/api/campaigns", json={**settings(agent="nobody"), **contacts}) == "unknown_agent"
    assert await error(400, "POST", "/api/campaigns", json=settings()) == "invalid_contacts"
    no_valid = {**settings(), "contacts": [{"phone": "555"}]}
    assert await error(400, "POST", "/api/campaigns", json=no_valid) == "no_contacts"
    no_phone = {"settings": json.dumps(settings())}
    files = {"contacts": ("c.csv", b"name,plan\nAnn,Gold\n", "text/csv")}
    assert await error(400, "POST", "/api/campaigns", data=no_phone, files=files) == "invalid_contacts"
    assert await error(400, "POST", "/api/campaigns", data={"settings": "{"}, files=files) == "invalid_json"
    assert (
        await error(415, "POST", "/api/campaigns", content=b"x", headers={"content-type": "text/plain"})
        == "unsupported_media_type"
    )
    assert await error(404, "GET", "/api/campaigns/cmp-nope") == "unknown_campaign"
    assert await error(404, "GET", "/api/campaigns/cmp-nope/export.csv") == "unknown_campaign"
    assert await error(404, "POST", "/api/campaigns/cmp-nope/pause") == "unknown_campaign"
    assert await error(400, "GET", "/api/campaigns/cmp-nope/contacts", params={"outcome": "happy"}) == "invalid_input"
    assert await error(422, "POST", "/api/do-not-call", json={"number": "0800"}) == "invalid_number"
    assert await error(404, "DELETE", "/api/do-not-call/+15558299999") == "not_on_list"


async def test_do_not_call_list_adds_lists_looks_up_and_removes_numbers(stack: Stack) -> None:
    http = stack.http
    for number in ("+15558300002", "+15558300001", "+15558300001"):
        assert (await http.post("/api/do-not-call", json={"number": number})).status_code == 201
    page = (await http.get("/api/do-not-call", params={"limit": "1"})).json()
    assert len(page["numbers"]) == 1 and page["next_page_token"]
    entry = (await http.get("/api/do-not-call/%2B15558300001")).json()
    assert entry["number"] == "+15558300001" and entry["source"] == "api"
    assert (await http.delete("/api/do-not-call/%2B15558300001")).status_code == 204
    assert (await http.get("/api/do-not-call/%2B15558300001")).status_code == 404
    await http.delete("/api/do-not-call/%2B15558300002")


async def test_campaigns_are_refused_from_a_foreign_origin(stack: Stack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import reset_app_state

    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://app.example")
    reset_app_state()
    response = await stack.http.get("/api/campaigns", headers={"origin": "https://evil.example"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "origin_not_allowed"
    await stack.advance(timedelta(seconds=1))


async def test_a_callee_asking_not_to_be_called_is_put_on_the_list_by_the_in_call_tool(stack: Stack) -> None:
    from tests.callcenter.campaigns import fake_calls

    fake_calls.BEHAVIOURS["+15558400001"] = [("completed", 600)]
    created = await stack.create(settings(), "phone,name,plan\n+15558400001,Ann,Gold\n")
    await stack.advance(timedelta(seconds=1))
    contact = (await stack.contacts(created["campaign"]["id"]))[0]
    assert contact["outcome"] == "in_progress"
    agent = (await stack.http.get(f"/api/internal/calls/{contact['call_id']}/agent")).json()
    instructions = agent["session"]["instructions"]
    assert "- goal: Remind Ann that plan Gold renews soon." in instructions and "voicemail_detected" in instructions
    tool_names = {tool["name"] for tool in agent["session"]["tools"]}
    assert {"add_to_do_not_call", "voicemail_detected"} <= tool_names
    response = await stack.http.post(
        f"/api/internal/calls/{contact['call_id']}/function-call",
        json={"name": "add_to_do_not_call", "call_id": "fc-1", "arguments": '{"reason": "asked on the call"}'},
    )
    assert response.status_code == 200 and response.json()["ok"] is True
    entry = (await stack.http.get("/api/do-not-call/%2B15558400001")).json()
    assert entry["source"] == "call" and entry["call_id"] == contact["call_id"]
    await stack.http.delete("/api/do-not-call/%2B15558400001")

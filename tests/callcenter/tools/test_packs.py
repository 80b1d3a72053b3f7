"""The industry tool packs over the demo data set: deterministic, verified, and stateful per process."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from callcenter.errors import ValidationFailed
from callcenter.tools.catalog import get_registry
from callcenter.tools.registry import Channel, ToolContext

WEB = ToolContext(channel=Channel.WEB, agent="default")


async def run(name: str, **arguments: object) -> dict:
    result = await get_registry().execute(name, arguments, WEB)
    return result.output


def test_every_pack_has_at_least_five_tools() -> None:
    packs: dict[str, int] = {}
    for tool in get_registry():
        packs[tool.pack] = packs.get(tool.pack, 0) + 1
    assert packs["telecom"] >= 5 and packs["healthcare"] >= 5 and packs["retail"] >= 5


async def test_plan_change_is_confirmed_with_a_stable_reference_and_seen_by_later_calls() -> None:
    first = await run("change_plan", account_id="ACC-1002", plan_id="unlimited-5g")
    assert first["changed"] is True and first["previous_plan"] == "basic-5g"
    assert first["confirmation"].startswith("PLN-")
    usage = await run("get_data_usage", account_id="ACC-1002")
    assert usage["plan"] == "Unlimited 5G" and usage["data_allowance_gb"] == "unlimited"
    again = await run("change_plan", account_id="ACC-1002", plan_id="unlimited-5g")
    assert again["changed"] is False


async def test_outage_check_finds_known_outages_only() -> None:
    assert (await run("check_outage", zip_code="98225"))["outage"] is True
    assert (await run("check_outage", zip_code="10001"))["outage"] is False


async def test_healthcare_refuses_a_wrong_date_of_birth() -> None:
    output = await run(
        "prescription_refill_status", patient_id="P-2001", date_of_birth="1990-01-01", rx_number="RX-7001"
    )
    assert output["error"]["code"] == "not_verified"


async def test_booking_takes_the_slot_so_it_is_not_offered_again() -> None:
    before = await run("find_appointment_slots", specialty="dermatology")
    slot = before["slots"][0]["slot_id"]
    booked = await run("book_appointment", patient_id="P-2003", date_of_birth="1992-07-21", slot_id=slot, reason="rash")
    assert booked["booked"] is True and booked["appointment_id"].startswith("APT-")
    after = await run("find_appointment_slots", specialty="dermatology")
    assert slot not in {s["slot_id"] for s in after["slots"]}
    twice = await run(
        "book_appointment", patient_id="P-2001", date_of_birth="1984-03-14", slot_id=slot, reason="checkup"
    )
    assert twice["error"]["code"] == "slot_taken"


async def test_reschedule_and_cancel_only_the_patients_own_appointment() -> None:
    other = await run("cancel_appointment", patient_id="P-2001", date_of_birth="1984-03-14", appointment_id="APT-502")
    assert other["error"]["code"] == "not_found"
    moved = await run(
        "reschedule_appointment",
        patient_id="P-2001",
        date_of_birth="1984-03-14",
        appointment_id="APT-501",
        new_slot_id="S-301",
    )
    assert moved["rescheduled"] is True and moved["previous_slot"] == "S-303"
    cancelled = await run(
        "cancel_appointment", patient_id="P-2001", date_of_birth="1984-03-14", appointment_id="APT-501"
    )
    assert cancelled["cancelled"] is True


async def test_refill_with_no_refills_left_needs_the_prescriber() -> None:
    output = await run("request_refill", patient_id="P-2002", date_of_birth="1979-11-02", rx_number="RX-7002")
    assert output["requested"] is False
    granted = await run("request_refill", patient_id="P-2003", date_of_birth="1992-07-21", rx_number="RX-7003")
    assert granted["requested"] is True and granted["refills_left"] == 4


async def test_order_status_needs_the_matching_zip_code() -> None:
    assert (await run("order_status", order_id="ORD-9001", zip_code="98052"))["status"] == "shipped"
    assert (await run("order_status", order_id="ORD-9001", zip_code="98101"))["error"]["code"] == "not_verified"


async def test_return_eligibility_follows_delivery_and_the_window() -> None:
    undelivered = await run("start_return", order_id="ORD-9001", zip_code="98052", sku="SKU-100", reason="wrong size")
    assert undelivered["eligible"] is False
    delivered = await run("start_return", order_id="ORD-9002", zip_code="98101", sku="SKU-101", reason="damaged")
    age = (datetime.now(UTC).date() - date(2026, 11, 6)).days
    assert delivered["eligible"] is (age <= 30)
    if delivered["eligible"]:
        assert delivered["refund_amount"] == 149.0 and delivered["return_id"].startswith("RMA-")


async def test_arguments_breaking_the_schema_are_rejected_before_the_executor_runs() -> None:
    with pytest.raises(ValidationFailed, match="account_id"):
        await get_registry().execute("get_account_balance", {"account_id": "1001"}, WEB)
    with pytest.raises(ValidationFailed, match="surprise"):
        await get_registry().execute("list_plans", {"surprise": 1}, WEB)


async def test_escalation_is_phone_only_and_respects_human_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    from callcenter.errors import NotFound
    from tests.conftest import reset_app_state

    with pytest.raises(NotFound):
        await get_registry().execute("escalate_to_human", {"reason": "x", "summary": "y"}, WEB)
    phone = ToolContext(channel=Channel.PHONE, agent="telecom", call_id="c1")
    monkeypatch.setenv("HUMAN_AGENT_TARGET", "+18005550199")
    monkeypatch.setenv("HUMAN_AGENT_HOURS", "Mon-Sun 00:00-23:59")
    reset_app_state()
    open_result = await get_registry().execute("escalate_to_human", {"reason": "billing", "summary": "s"}, phone)
    assert open_result.ok and open_result.control is not None and open_result.control.value == "escalate"
    monkeypatch.setenv("HUMAN_AGENT_HOURS", "Sat 00:00-00:01")
    reset_app_state()
    closed = await get_registry().execute("escalate_to_human", {"reason": "billing", "summary": "s"}, phone)
    assert closed.ok is False and closed.control is None
    assert closed.output["error"]["code"] == "humans_unavailable"

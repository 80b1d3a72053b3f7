"""Healthcare pack: appointment slots, booking, rescheduling, cancelling and prescription refills.

Every call that touches a patient's data first matches the patient id with the date of birth, so
the agent cannot read one patient's data to another caller.
"""

from __future__ import annotations

from typing import Any

from callcenter.tools.demo_data import demo_store, reference
from callcenter.tools.registry import Tool, ToolContext, ToolError

PACK = "healthcare"

_PATIENT = {"type": "string", "pattern": "^P-[0-9]{4}$", "description": "Patient id, e.g. P-2001"}
_DOB = {
    "type": "string",
    "format": "date",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "description": "YYYY-MM-DD",
}
_SLOT = {"type": "string", "pattern": "^S-[0-9]{3}$"}


def _verified_patient(args: dict[str, Any]) -> dict[str, Any]:
    patient = demo_store().find(PACK, "patients", "patient_id", args["patient_id"])
    if patient is None or patient["date_of_birth"] != args["date_of_birth"]:
        raise ToolError("patient id and date of birth do not match; ask the caller to repeat them", code="not_verified")
    return patient


def _booked_slot_ids() -> set[str]:
    return {a["slot_id"] for a in demo_store().section(PACK)["appointments"]}


def _slot_view(slot: dict[str, Any]) -> dict[str, Any]:
    provider = demo_store().find(PACK, "providers", "provider_id", slot["provider_id"]) or {}
    return {
        "slot_id": slot["slot_id"],
        "start": slot["start"],
        "provider": provider.get("name"),
        "specialty": provider.get("specialty"),
        "location": provider.get("location"),
    }


def _free_slot(slot_id: str) -> dict[str, Any]:
    slot = demo_store().find(PACK, "slots", "slot_id", slot_id)
    if slot is None:
        raise ToolError(f"no slot {slot_id}; offer slots from find_appointment_slots", code="not_found")
    if slot_id in _booked_slot_ids():
        raise ToolError(f"slot {slot_id} was just taken; offer another", code="slot_taken")
    return slot


def _appointment(args: dict[str, Any]) -> dict[str, Any]:
    patient = _verified_patient(args)
    appointment = demo_store().find(PACK, "appointments", "appointment_id", args["appointment_id"])
    if appointment is None or appointment["patient_id"] != patient["patient_id"]:
        raise ToolError(f"no appointment {args['appointment_id']} for this patient", code="not_found")
    return appointment


async def find_appointment_slots(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    specialty = args["specialty"].lower()
    booked = _booked_slot_ids()
    data = demo_store().section(PACK)
    providers = {p["provider_id"] for p in data["providers"] if p["specialty"] == specialty}
    slots = [
        _slot_view(s)
        for s in data["slots"]
        if s["provider_id"] in providers and s["slot_id"] not in booked and s["start"][:10] >= args.get("from_date", "")
    ]
    return {"specialty": specialty, "slots": slots[:5]}


async def book_appointment(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    store = demo_store()
    with store.lock:
        patient = _verified_patient(args)
        slot = _free_slot(args["slot_id"])
        appointment_id = reference("APT", patient["patient_id"], slot["slot_id"])
        store.section(PACK)["appointments"].append(
            {
                "appointment_id": appointment_id,
                "patient_id": patient["patient_id"],
                "slot_id": slot["slot_id"],
                "reason": args["reason"],
            }
        )
    return {"booked": True, "appointment_id": appointment_id, **_slot_view(slot)}


async def reschedule_appointment(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    store = demo_store()
    with store.lock:
        appointment = _appointment(args)
        slot = _free_slot(args["new_slot_id"])
        previous = appointment["slot_id"]
        appointment["slot_id"] = slot["slot_id"]
    return {
        "rescheduled": True,
        "appointment_id": appointment["appointment_id"],
        "previous_slot": previous,
        **_slot_view(slot),
    }


async def cancel_appointment(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    store = demo_store()
    with store.lock:
        appointment = _appointment(args)
        store.section(PACK)["appointments"].remove(appointment)
    return {"cancelled": True, "appointment_id": appointment["appointment_id"]}


async def prescription_refill_status(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    patient = _verified_patient(args)
    rx = demo_store().find(PACK, "prescriptions", "rx_number", args["rx_number"])
    if rx is None or rx["patient_id"] != patient["patient_id"]:
        raise ToolError(f"no prescription {args['rx_number']} for this patient", code="not_found")
    return {k: rx[k] for k in ("rx_number", "medication", "status", "refills_left", "pharmacy")}


async def request_refill(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    store = demo_store()
    with store.lock:
        status = await prescription_refill_status(args, ctx)
        rx = store.find(PACK, "prescriptions", "rx_number", args["rx_number"]) or {}
        if rx["refills_left"] <= 0:
            return {
                **status,
                "requested": False,
                "next_step": "the prescriber must approve a new prescription",
            }
        rx["refills_left"] -= 1
        rx["status"] = "in process"
    return {
        **status,
        "requested": True,
        "refills_left": rx["refills_left"],
        "status": "in process",
        "ready_in": "about 24 hours",
    }


def _schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def tools() -> list[Tool]:
    verified = {"patient_id": _PATIENT, "date_of_birth": _DOB}
    return [
        Tool(
            "find_appointment_slots",
            "Find open appointment slots for a specialty (primary care, dermatology, cardiology).",
            {
                "type": "object",
                "properties": {
                    "specialty": {"enum": ["primary care", "dermatology", "cardiology"]},
                    "from_date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                },
                "required": ["specialty"],
                "additionalProperties": False,
            },
            find_appointment_slots,
            pack=PACK,
        ),
        Tool(
            "book_appointment",
            "Book a slot for a verified patient.",
            _schema({**verified, "slot_id": _SLOT, "reason": {"type": "string", "minLength": 2, "maxLength": 200}}),
            book_appointment,
            pack=PACK,
        ),
        Tool(
            "reschedule_appointment",
            "Move a verified patient's appointment to another open slot.",
            _schema({**verified, "appointment_id": {"type": "string"}, "new_slot_id": _SLOT}),
            reschedule_appointment,
            pack=PACK,
        ),
        Tool(
            "cancel_appointment",
            "Cancel a verified patient's appointment.",
            _schema({**verified, "appointment_id": {"type": "string"}}),
            cancel_appointment,
            pack=PACK,
        ),
        Tool(
            "prescription_refill_status",
            "Status and refills left of a verified patient's prescription.",
            _schema({**verified, "rx_number": {"type": "string", "pattern": "^RX-[0-9]{4}$"}}),
            prescription_refill_status,
            pack=PACK,
        ),
        Tool(
            "request_refill",
            "Ask the pharmacy to refill a verified patient's prescription.",
            _schema({**verified, "rx_number": {"type": "string", "pattern": "^RX-[0-9]{4}$"}}),
            request_refill,
            pack=PACK,
        ),
    ]

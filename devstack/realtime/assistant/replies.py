"""What the assistant says: questions for missing arguments, confirmations, and tool results read
back as sentences, one phrasing per tool ("Your balance is 55 dollars, due on December 5th")."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from devstack.realtime.assistant.domain import Domain

QUESTIONS = {
    "account_id": "What is your account number? It looks like A C C, then four digits.",
    "zip_code": "What is the ZIP code?",
    "plan_id": "Which plan would you like: Basic, Plus, Unlimited or Family?",
    "category": "Is it no service, slow data, dropped calls, or something else?",
    "description": "Please describe the problem in a few words.",
    "specialty": "Which kind of appointment: primary care, dermatology or cardiology?",
    "patient_id": "What is the patient id? It looks like P, then four digits.",
    "date_of_birth": "And the patient's date of birth?",
    "slot_id": "Which slot would you like? Slots look like S three zero one.",
    "new_slot_id": "Which slot should it move to? Slots look like S three zero one.",
    "appointment_id": "What is the appointment number? It looks like A P T, then three digits.",
    "reason": "What is the visit for?",
    "rx_number": "What is the prescription number? It looks like R X, then four digits.",
    "order_id": "What is the order number? It looks like O R D, then four digits.",
    "sku": "Which item is it about?",
    "return_reason": "Why are you returning it: wrong size, damaged, not as described, or changed your mind?",
    "query": "What are you looking for?",
    "store_id": "Which store: Seattle Pike Street or Portland Pearl District?",
}


def money(amount: Any) -> str:
    value = float(amount)
    return f"{value:.0f} dollars" if value == int(value) else f"{value:.2f} dollars"


def day(value: Any) -> str:
    """ "2026-12-05" -> "December 5th"."""
    try:
        when = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    suffix = "th" if 11 <= when.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(when.day % 10, "th")
    return f"{when.strftime('%B')} {when.day}{suffix}"


def moment(value: Any) -> str:
    """ "2026-12-01T09:00:00-08:00" -> "December 1st at 9:00 AM"."""
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day(value)} at {when.strftime('%I:%M %p').lstrip('0')}"


def spell(value: str) -> str:
    """An id read out clearly: "ACC-1001" -> "A C C 1 0 0 1"."""
    return " ".join(c for c in value.upper() if c.isalnum())


def confirmation(tool: str, args: dict[str, Any], domain: Domain) -> str:
    """The question asked before a tool that changes something."""
    if tool == "change_plan":
        plan = next((p for p in domain.section("telecom", "plans") if p["id"] == args["plan_id"]), None)
        price = f" at {money(plan['monthly_price'])} a month" if plan else ""
        return f"To confirm: switch account {spell(args['account_id'])} to {domain.plan_name(args['plan_id'])}{price}?"
    if tool == "book_appointment":
        return f"To confirm: book slot {spell(args['slot_id'])} for {args['reason']}?"
    if tool == "reschedule_appointment":
        return f"To confirm: move appointment {spell(args['appointment_id'])} to slot {spell(args['new_slot_id'])}?"
    if tool == "cancel_appointment":
        return f"To confirm: cancel appointment {spell(args['appointment_id'])}?"
    if tool == "request_refill":
        return f"To confirm: request a refill of prescription {spell(args['rx_number'])}?"
    if tool == "start_return":
        return f"To confirm: return the {domain.product_name(args['sku'])} from order {spell(args['order_id'])}?"
    if tool == "add_to_do_not_call":
        return "Just to confirm: you would like us to stop calling this number?"
    return f"Shall I go ahead with {tool.replace('_', ' ')}?"


def _balance(out: dict[str, Any]) -> str:
    autopay = "autopay is on" if out.get("autopay") else "autopay is off"
    return f"Your balance is {money(out['balance'])}, due on {day(out['due_date'])}; {autopay}."


def _usage(out: dict[str, Any]) -> str:
    allowance = out.get("data_allowance_gb")
    if allowance == "unlimited":
        return f"You have used {out['data_used_gb']} gigabytes this cycle on {out['plan']}, which is unlimited."
    return (
        f"You have used {out['data_used_gb']} of your {allowance} gigabytes this cycle, "
        f"{out['percent_used']:.0f} percent of your {out['plan']} allowance."
    )


def _outage(out: dict[str, Any]) -> str:
    if not out.get("outage"):
        return f"There is no known outage at ZIP code {spell(out['zip_code'])}."
    first = out["outages"][0]
    return (
        f"Yes, there is a {first['service']} outage at ZIP code {spell(out['zip_code'])}: {first['cause']}. "
        f"Crews are {first['status']}; service should be back by {moment(first['estimated_restore'])}."
    )


def _plans(out: dict[str, Any]) -> str:
    listed = ", ".join(f"{p['name']} at {money(p['monthly_price'])}" for p in out["plans"])
    return f"Our plans are {listed} a month. Would you like to switch?"


def _plan_change(out: dict[str, Any]) -> str:
    if not out.get("changed"):
        return f"No change needed: {out.get('message', 'you are already on that plan')}."
    return (
        f"Done: you are moving to {out['new_plan']} at {money(out['monthly_price'])} a month, "
        f"from the {out['effective']}. Your confirmation is {spell(out['confirmation'])}."
    )


def _ticket(out: dict[str, Any]) -> str:
    return f"I opened ticket {spell(out['ticket_id'])} with {out['priority']} priority; {out['next_step']}."


def _slots(out: dict[str, Any]) -> str:
    slots = out.get("slots") or []
    if not slots:
        return f"There are no open {out['specialty']} slots right now."
    listed = "; ".join(f"slot {spell(s['slot_id'])}, {moment(s['start'])} with {s['provider']}" for s in slots[:3])
    return f"Open {out['specialty']} slots: {listed}. Which one would you like?"


def _booked(out: dict[str, Any]) -> str:
    return (
        f"You're booked with {out['provider']} on {moment(out['start'])} at {out['location']}. "
        f"Your appointment number is {spell(out['appointment_id'])}."
    )


def _rescheduled(out: dict[str, Any]) -> str:
    return f"Your appointment is moved to {moment(out['start'])} with {out['provider']} at {out['location']}."


def _cancelled(out: dict[str, Any]) -> str:
    return f"Appointment {spell(out['appointment_id'])} is cancelled."


def _rx_status(out: dict[str, Any]) -> str:
    return f"Your {out['medication']} is {out['status']} at {out['pharmacy']}, with {out['refills_left']} refills left."


def _refill(out: dict[str, Any]) -> str:
    if not out.get("requested"):
        return f"I could not request a refill of {out['medication']}: {out['next_step']}."
    return f"I requested a refill of {out['medication']}; it should be ready at {out['pharmacy']} in {out['ready_in']}."


def _order(out: dict[str, Any]) -> str:
    items = ", ".join(i["name"] for i in out.get("items", []))
    status = out["status"]
    if out.get("delivered_at"):
        return f"Your order with {items} was delivered on {day(out['delivered_at'])}."
    carrier = f" with {out['carrier']}" if out.get("carrier") else ""
    return f"Your order with {items} is {status}{carrier}; expected delivery is {day(out['estimated_delivery'])}."


def _return(out: dict[str, Any]) -> str:
    if not out.get("eligible"):
        return f"That item cannot be returned: {out['reason']}."
    return (
        f"Your return is started, number {spell(out['return_id'])}. You will get {money(out['refund_amount'])} back; "
        f"{out['label']}."
    )


def _availability(out: dict[str, Any]) -> str:
    places = [a["where"] for a in out["availability"] if a["in_stock"]]
    where = ", ".join(places) if places else "nowhere right now"
    return f"The {out['name']} costs {money(out['price'])} and is in stock at {where}."


def _search(out: dict[str, Any]) -> str:
    products = out.get("products") or []
    if not products:
        return f"I found no products matching {out['query']}."
    listed = "; ".join(f"{p['name']} at {money(p['price'])}" for p in products)
    return f"I found {listed}."


def _hours(out: dict[str, Any]) -> str:
    hours = out["hours"]

    def span(value: str) -> str:
        return "closed" if value == "closed" else value.replace("-", " to ")

    return (
        f"{out['name']} is open weekdays {span(hours.get('mon-fri', 'closed'))}, Saturday "
        f"{span(hours.get('sat', 'closed'))} and Sunday {span(hours.get('sun', 'closed'))}."
    )


def _handoff(out: dict[str, Any]) -> str:
    return f"I've connected you with {out['agent']}."


def _escalate(out: dict[str, Any]) -> str:
    return "I'm connecting you to a colleague now. Please stay on the line."


_READERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "get_account_balance": _balance,
    "get_data_usage": _usage,
    "check_outage": _outage,
    "list_plans": _plans,
    "change_plan": _plan_change,
    "report_technical_issue": _ticket,
    "find_appointment_slots": _slots,
    "book_appointment": _booked,
    "reschedule_appointment": _rescheduled,
    "cancel_appointment": _cancelled,
    "prescription_refill_status": _rx_status,
    "request_refill": _refill,
    "order_status": _order,
    "start_return": _return,
    "product_availability": _availability,
    "search_products": _search,
    "store_hours": _hours,
    "handoff_to_agent": _handoff,
    "escalate_to_human": _escalate,
}


def tool_error(output: Any) -> tuple[str, str] | None:
    """(code, message) when a tool output is an error."""
    if isinstance(output, dict) and isinstance(output.get("error"), dict):
        error = output["error"]
        return str(error.get("code", "error")), str(error.get("message", "the request failed"))
    return None


def read_error(tool: str, code: str, message: str) -> str:
    """A tool error said plainly: what went wrong, and what to do next."""
    what = message.split(";")[0].strip()
    if code == "humans_unavailable":
        return f"I'm sorry, I can't transfer you right now: {what}. I can take a message or help you myself."
    if code in ("not_found", "not_verified", "not_in_order"):
        return f"Sorry, {what}. Could you repeat it?"
    if code in ("tool_timeout", "tool_failed"):
        return "Sorry, that system isn't answering right now. Please try again in a moment."
    return f"Sorry, that didn't work: {what}."


def read_result(tool: str, output_text: str) -> str:
    """A tool's output as a sentence for the caller."""
    try:
        output = json.loads(output_text)
    except ValueError:
        return "Sorry, I got an answer I could not read."
    error = tool_error(output)
    if error is not None:
        return read_error(tool, *error)
    reader = _READERS.get(tool)
    if reader is None or not isinstance(output, dict):
        return "That's done."
    try:
        return reader(output)
    except (KeyError, TypeError, ValueError):
        return "That's done."

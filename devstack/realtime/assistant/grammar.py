"""The recognizer's domain language model, built at start-up from what the stack knows.

Sentences are generated from the agents' greetings and instructions, the tools' names,
descriptions and enums, the demo data's ids, names, products and dates (spoken the way callers
say them: "a c c one zero zero one"), numbers, spelled letters and common call phrases. A trigram
back-off model (ARPA) is estimated from them with PocketSphinx's own builder (`pocketsphinx.lm`),
so nothing is downloaded and the model always matches the data the tools serve.
"""

from __future__ import annotations

import io
import itertools
import re
from datetime import date, timedelta

from pocketsphinx.lm import ArpaBoLM

from devstack.realtime.assistant.domain import Domain
from devstack.realtime.assistant.intents import _CUES
from devstack.realtime.assistant.spoken import (
    DIGIT_WORDS,
    MONTHS,
    say_date,
    say_digits,
    say_id,
    say_number,
    say_ordinal,
)

# Pronunciations (CMU ARPAbet) for domain words missing from PocketSphinx's dictionary.
EXTRA_PRONUNCIATIONS = {
    "contoso": "K AH N T OW S OW",
    "daypack": "D EY P AE K",
    "okafor": "OW K AA F ER",
    "cetirizine": "S EH T IH R AH Z IY N",
    "lisinopril": "L AY S IH N AH P R IH L",
    "atorvastatin": "AH T AO R V AH S T AE T IH N",
}

_TEMPLATE_WEIGHT = 12  # lines each caller template contributes, at least

_CALLER_TEMPLATES = {
    "get_account_balance": [
        "what is my balance",
        "what is the balance on account {account}",
        "what is my balance for account {account}",
        "how much do i owe on account {account}",
        "when is my bill due",
        "i want to check my balance",
        "balance for account {account} please",
    ],
    "get_data_usage": [
        "how much data have i used",
        "what is my data usage on account {account}",
        "how much data is left on account {account}",
        "check my data usage please",
    ],
    "check_outage": [
        "is there an outage in my area",
        "is there an outage at zip code {zip}",
        "my internet is down is there an outage at {zip}",
        "check for an outage in {zip}",
    ],
    "list_plans": ["what plans do you have", "which plans can i switch to", "tell me about your plans"],
    "change_plan": [
        "i want to switch to the {plan} plan",
        "change my plan to {plan} on account {account}",
        "upgrade account {account} to {plan}",
        "switch me to {plan} please",
    ],
    "report_technical_issue": [
        "i keep getting dropped calls",
        "my data is really slow",
        "i have no service on account {account}",
        "i want to report a problem with dropped calls on account {account}",
        "please open a ticket my phone has no service",
    ],
    "find_appointment_slots": [
        "i need a {specialty} appointment",
        "are there any {specialty} slots after {day}",
        "when can i see a dermatologist",
        "i need to see a cardiologist",
        "find me a {specialty} appointment after {day}",
    ],
    "book_appointment": [
        "book slot {slot} for a checkup",
        "please book slot {slot} for patient {patient} born {dob}",
        "i would like to book {slot} for a skin rash",
    ],
    "reschedule_appointment": [
        "i need to reschedule appointment {appointment} to slot {slot}",
        "move my appointment {appointment} to {slot}",
    ],
    "cancel_appointment": ["i want to cancel appointment {appointment}", "please cancel my appointment {appointment}"],
    "prescription_refill_status": [
        "is my prescription {rx} ready",
        "what is the status of prescription {rx}",
        "how many refills are left on {rx}",
    ],
    "request_refill": ["i need a refill of prescription {rx}", "please refill {rx}", "can you request a refill"],
    "order_status": [
        "where is my order",
        "where is order {order}",
        "what is the status of order {order}",
        "track my order {order} zip code {zip}",
    ],
    "start_return": [
        "i want to return my {product}",
        "i would like a refund for the {product}",
        "return the {product} from order {order} it is the wrong size",
        "the {product} is damaged i want to send it back",
        "i changed my mind about the {product}",
    ],
    "product_availability": [
        "is the {product} in stock",
        "do you have the {product} in stock",
        "how much is the {product}",
    ],
    "search_products": ["i am looking for a {product}", "do you sell {product}", "search for {product}"],
    "store_hours": [
        "what are the hours of the {store} store",
        "when does the {store} store open",
        "what time do you close in {store}",
    ],
}

_CONVERSATION = [
    "yes",
    "yes please",
    "yeah go ahead",
    "yes that's right",
    "no",
    "no thanks",
    "no thank you",
    "never mind",
    "goodbye",
    "thank you goodbye",
    "thanks bye",
    "that's all thank you goodbye",
    "a person please",
    "i want to talk to a person",
    "can i speak to a real person",
    "let me talk to a human",
    "representative",
    "please don't call me again",
    "stop calling me",
    "take me off your list",
    "put me on the do not call list",
    "remove my number from your list",
    "hi you've reached maria please leave a message after the tone",
    "the person you are calling is not available please record your message after the beep",
    "i have a question about my phone bill",
    "i need help with my internet",
    "i need to see a doctor",
    "i have a question about an order",
    "put me through to retail",
    "connect me to mobile support",
    "{zip}",
    "{zip}",
    "my zip code is {zip}",
    "zip code {zip}",
    "the zip code is {zip}",
    "{patient}",
    "patient {patient}",
    "patient {patient}",
    "my patient id is {patient}",
    "{dob}",
    "{dob}",
    "it's {dob}",
    "{order}",
    "order number {order}",
    "{account}",
    "switch account {account} to the {plan} plan",
    "switch to the {plan} plan",
    "my account number is {account}",
    "it's {account}",
    "account {account}",
    "the zip code is {zip}",
    "zip {zip}",
    "my patient id is {patient}",
    "my date of birth is {dob}",
    "born on {dob}",
    "the order number is {order}",
    "prescription {rx}",
    "slot {slot}",
    "it is for a checkup",
    "it's the wrong size",
    "it arrived damaged",
    "it is not as described",
    "i changed my mind",
]


def _slot_values(domain: Domain) -> dict[str, list[str]]:
    """Every spoken form of the demo data's values, by template slot."""

    def ids(pack: str, table: str, key: str, prefix_word: str) -> list[str]:
        values = [str(row[key]) for row in domain.section(pack, table)]
        return [say_id(v) for v in values] + [f"{prefix_word} {say_digits(v)}" for v in values if prefix_word]

    zips = {str(r["zip_code"]) for r in domain.section("telecom", "accounts") + domain.section("retail", "orders")}
    zips |= {str(o["zip_code"]) for o in domain.section("telecom", "outages")}
    dobs = [date.fromisoformat(p["date_of_birth"]) for p in domain.section("healthcare", "patients")]
    products = [p["name"].lower() for p in domain.section("retail", "products")]
    products += [w for words in domain.product_words.values() for w in words]
    return {
        "account": ids("telecom", "accounts", "account_id", "account"),
        "zip": [say_digits(z) for z in sorted(zips)],
        "plan": [
            p["name"].lower().replace("5g", "five g").replace("4", "four") for p in domain.section("telecom", "plans")
        ]
        + [w for words in domain.plan_words.values() for w in words],
        "specialty": domain.enum("find_appointment_slots", "specialty"),
        "day": [say_date(date(2026, 12, d), year=False) for d in range(1, 32, 3)]
        + [f"the {say_ordinal(d)} of december" for d in range(1, 32, 4)],
        "slot": ids("healthcare", "slots", "slot_id", "slot"),
        "patient": ids("healthcare", "patients", "patient_id", "patient"),
        "dob": [say_date(d) for d in dobs],
        "appointment": ids("healthcare", "appointments", "appointment_id", "appointment"),
        "rx": ids("healthcare", "prescriptions", "rx_number", "prescription"),
        "order": ids("retail", "orders", "order_id", "order"),
        "product": [re.sub(r"[^a-z ]", " ", p).strip() for p in products],
        "store": [w for words in domain.store_words.values() for w in words]
        + [s["name"].lower() for s in domain.section("retail", "stores")],
    }


def _plan_words(name: str) -> str:
    return name.lower().replace("5g", "five g").replace("4", "four")


def _expand(template: str, values: dict[str, list[str]]) -> list[str]:
    """A template with every combination of its slots' values (capped, cycling through values)."""
    slots = re.findall(r"\{(\w+)\}", template)
    if not slots:
        return [template]
    width = max(len(values[s]) for s in slots)
    out = []
    for i in range(width):
        text = template
        for slot in slots:
            options = values[slot]
            text = text.replace("{" + slot + "}", options[i % len(options)], 1)
        out.append(text)
    return out


def _prose(text: str) -> list[str]:
    """Sentences of instructions and descriptions, as lower-case word strings."""
    sentences = re.split(r"[.!?;:]\s+", text)
    cleaned = (" ".join(re.findall(r"[a-z']+", s.lower().replace("_", " "))) for s in sentences)
    return [s for s in cleaned if s]


def corpus(domain: Domain) -> list[str]:
    """The training sentences of the domain language model."""
    values = _slot_values(domain)
    sentences: list[str] = []
    # Every caller template weighs about the same: one with many slot values must not drown
    # the plain sentences ("i need to see a doctor") in the n-gram counts.
    for template in [t for templates in _CALLER_TEMPLATES.values() for t in templates] + _CONVERSATION:
        expanded = _expand(template, values)
        sentences += expanded * max(1, _TEMPLATE_WEIGHT // len(expanded))
    for cues in _CUES.values():
        sentences += list(cues)
    for text in itertools.chain(domain.greetings, domain.instructions):
        sentences += _prose(text)
    for name, tool in domain.tools.items():
        sentences.append(name.replace("_", " "))
        sentences += _prose(str(tool["description"]))
    sentences += _dates()
    # Bare numbers, spelled letters and digit strings, as callers read them out.
    sentences += [" ".join(DIGIT_WORDS[int(c)] for c in f"{n:04d}") for n in range(0, 10000, 997)]
    sentences += [say_number(n) for n in range(100)]
    sentences += [" ".join("abcdefghijklmnopqrstuvwxyz"[i : i + 3]) for i in range(0, 24, 3)]
    return [s for s in sentences if s.strip()]


def _dates() -> list[str]:
    """Every day of the year once, in the forms callers use ("the third of december", "january first
    nineteen ninety"): the demo data names only a few dates, and a date it does not name must not
    lose to one it does."""
    out = []
    for i, when in enumerate(date(2001, 1, 1) + timedelta(days=n) for n in range(365)):
        if i % 2:
            out.append(f"the {say_ordinal(when.day)} of {MONTHS[when.month - 1]}")
        else:
            out.append(say_date(when.replace(year=1940 + i % 70), year=i % 4 == 0))
    return out


def build_arpa(sentences: list[str], known: set[str] | None = None) -> str:
    """An ARPA trigram model of `sentences`; words outside `known` (if given) are left out."""
    lines = []
    for sentence in sentences:
        words = sentence.lower().split()
        if known is not None:
            words = [w for w in words if w in known]
        if words:
            lines.append(" ".join(words))
    model = ArpaBoLM(add_start=True, discount_mass=0.5)
    model.read_corpus(io.StringIO("\n".join(lines)))
    model.compute()
    out = io.StringIO()
    model.write(out)
    return out.getvalue()

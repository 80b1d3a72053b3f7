"""Tool arguments read from what the caller said: ids, ZIP codes, dates, plans, products, reasons.

`read_facts` finds every value an utterance carries; the dialogue keeps them for the rest of the
call, so an account number said once serves every later question. Nothing is guessed: a value
is only taken when the words name it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from devstack.realtime.assistant.domain import Domain
from devstack.realtime.assistant.spoken import join_spoken, parse_dates, words_of

# An id's spoken prefix (letters or a word) -> (argument, format). "a c c 1001" and "account 1001" agree.
_ID_PREFIXES: dict[str, tuple[str, str]] = {
    "acc": ("account_id", "ACC-{:0>4}"),
    "account": ("account_id", "ACC-{:0>4}"),
    "p": ("patient_id", "P-{:0>4}"),
    "patient": ("patient_id", "P-{:0>4}"),
    "ord": ("order_id", "ORD-{:0>4}"),
    "order": ("order_id", "ORD-{:0>4}"),
    "rx": ("rx_number", "RX-{:0>4}"),
    "prescription": ("rx_number", "RX-{:0>4}"),
    "s": ("slot_id", "S-{:0>3}"),
    "slot": ("slot_id", "S-{:0>3}"),
    "apt": ("appointment_id", "APT-{:0>3}"),
    "appointment": ("appointment_id", "APT-{:0>3}"),
    "st": ("store_id", "ST-{}"),
    "store": ("store_id", "ST-{}"),
    "sku": ("sku", "SKU-{:0>3}"),
    "item": ("sku", "SKU-{:0>3}"),
    "product": ("sku", "SKU-{:0>3}"),
}
_ID_DIGITS = {"account_id": 4, "patient_id": 4, "order_id": 4, "rx_number": 4, "slot_id": 3, "appointment_id": 3}
_FILLERS = {"number", "id", "is", "it's", "its", "the", "my", "a", "code", "dash", "hyphen"}
_SPECIALTY_WORDS = {
    "primary care": ("primary", "checkup", "check", "physical", "general", "family doctor"),
    "dermatology": ("dermatology", "dermatologist", "skin", "rash"),
    "cardiology": ("cardiology", "cardiologist", "heart"),
}
_CATEGORY_WORDS = {
    "no service": ("no service", "no signal", "not working", "no connection"),
    "slow data": ("slow", "speed"),
    "dropped calls": ("dropped", "dropping", "drops", "cut off"),
    "billing system": ("billing system",),
}
_RETURN_REASON_WORDS = {
    "wrong size": ("size", "too small", "too big", "too large", "doesn't fit", "does not fit"),
    "damaged": ("damaged", "broken", "torn", "ripped", "defective"),
    "not as described": ("not as described", "different", "not what"),
    "changed mind": ("changed my mind", "change my mind", "don't want", "do not want", "don't need", "changed mind"),
}


@dataclass
class Facts:
    """Values named in an utterance, by tool argument name."""

    values: dict[str, str] = field(default_factory=dict)
    dates: list[tuple[date, bool]] = field(default_factory=list)  # (date, year said)


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"\b{re.escape(phrase)}\b", text) is not None


def _ids(tokens: list[str], facts: Facts) -> set[int]:
    """Prefixed ids ("acc" "1001", "order" "9001"); returns the token positions used."""
    used: set[int] = set()
    for i, token in enumerate(tokens):
        prefix = _ID_PREFIXES.get(token)
        if prefix is None:
            continue
        j = i + 1
        while j < len(tokens) and tokens[j] in _FILLERS:
            j += 1
        if j >= len(tokens) or not tokens[j].isdigit():
            continue
        name, template = prefix
        digits = tokens[j]
        expected = _ID_DIGITS.get(name)
        if expected is not None and len(digits) != expected:
            continue
        facts.values.setdefault(name, template.format(digits))
        used.update(range(i, j + 1))
    return used


def bare_id(text: str, name: str) -> str | None:
    """An id given as digits alone, in answer to a question about it ("two zero zero three" -> P-2003)."""
    template = next((t for argument, t in _ID_PREFIXES.values() if argument == name), None)
    digits = [t for t in join_spoken(words_of(text)) if t.isdigit()]
    if template is None or len(digits) != 1 or len(digits[0]) != _ID_DIGITS.get(name, len(digits[0])):
        return None
    return template.format(digits[0])


def _pick(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    """The key whose words appear earliest in `text`."""
    best: tuple[int, str] | None = None
    for key, phrases in table.items():
        for phrase in phrases:
            match = re.search(rf"\b{re.escape(phrase)}\b", text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), key)
    return best[1] if best else None


def read_facts(text: str, domain: Domain, today: date) -> Facts:
    """Every argument value `text` names."""
    facts = Facts()
    lowered = " ".join(words_of(text))
    tokens = join_spoken(words_of(text))
    used = _ids(tokens, facts)
    # Five digits on their own are a ZIP code; a date's year is never one (4 digits).
    for i, token in enumerate(tokens):
        if i not in used and token.isdigit() and len(token) == 5:
            facts.values.setdefault("zip_code", token)
    facts.dates = parse_dates(text, today)
    plan = _pick(lowered, {k: tuple(v) for k, v in domain.plan_words.items()})
    if plan:
        facts.values["plan_id"] = plan
    store = _pick(lowered, {k: tuple(v) for k, v in domain.store_words.items()})
    if store:
        facts.values.setdefault("store_id", store)
    product = _pick(lowered, {k: tuple(v) for k, v in domain.product_words.items()})
    if product:
        facts.values.setdefault("sku", product)
    for name, table in (
        ("specialty", _SPECIALTY_WORDS),
        ("category", _CATEGORY_WORDS),
        ("reason", _RETURN_REASON_WORDS),
    ):
        value = _pick(lowered, table)
        if value:
            facts.values[name] = value
    return facts


def visit_reason(text: str) -> str | None:
    """What a visit is for: the words after "for a/an/my" ("book it for a checkup" -> "checkup")."""
    match = re.search(r"\bfor (?:a |an |my |the )?([a-z][a-z ]{1,60})$", " ".join(words_of(text)))
    if match is None:
        return None
    reason = re.sub(r"\b(please|thanks|thank you)\b", "", match.group(1)).strip()
    return reason if len(reason) >= 2 and not reason.startswith(("patient", "account", "order")) else None

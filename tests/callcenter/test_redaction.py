"""Transcript redaction: card numbers (Luhn), phone numbers and e-mail addresses, written or spoken."""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from callcenter.redaction import (
    CARD,
    EMAIL,
    ISO_DATE,
    PHONE,
    REDACTED,
    luhn_valid,
    redact_event,
    redact_text,
)

DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
# Words that are neither digit words nor "at"/"dot", so plain prose must come out unchanged.
PROSE = st.lists(
    st.sampled_from(["the", "balance", "is", "fifty", "dollars", "please", "hold", "thanks", "my", "account", "and"]),
    max_size=12,
).map(" ".join)
SEPARATORS = st.sampled_from([" ", "-", ".", "", " - ", ", "])


def with_check_digit(body: str) -> str:
    """`body` plus the digit that makes it pass Luhn."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


card_numbers = st.integers(12, 18).flatmap(
    lambda n: st.text("0123456789", min_size=n, max_size=n).map(lambda body: with_check_digit("4" + body[1:]))
)
phone_numbers = st.integers(7, 15).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))


@st.composite
def written(draw: st.DrawFn, digits: str) -> str:
    """`digits` in groups of 1-4 joined by one separator, as people and transcribers write them."""
    separator = draw(SEPARATORS)
    groups, rest = [], digits
    while rest:
        size = draw(st.integers(1, 4))
        groups.append(rest[:size])
        rest = rest[size:]
    return separator.join(groups)


def spoken(digits: str, separator: str) -> str:
    return separator.join(DIGIT_NAMES[int(d)] for d in digits)


def digits_left(text: str) -> str:
    return "".join(re.findall(r"\d", text))


def test_luhn_check_accepts_known_test_cards_and_rejects_a_changed_digit() -> None:
    for number in ("4111111111111111", "5500005555555559", "378282246310005", "6011111111111117"):
        assert luhn_valid(number)
        assert not luhn_valid(number[:-1] + str((int(number[-1]) + 1) % 10))
    assert not luhn_valid("41111x11111111")


@settings(max_examples=150)
@given(card_numbers, PROSE, PROSE, st.data())
def test_written_card_numbers_are_replaced(card: str, before: str, after: str, data: st.DataObject) -> None:
    text = f"{before} {data.draw(written(card))} {after}"
    redacted = redact_text(text)
    assert CARD in redacted
    assert digits_left(redacted) == ""


@settings(max_examples=150)
@given(card_numbers, st.sampled_from([" ", ", ", " - "]), PROSE)
def test_card_numbers_spoken_as_words_are_replaced(card: str, separator: str, before: str) -> None:
    redacted = redact_text(f"{before} my card is {spoken(card, separator)} thanks")
    assert CARD in redacted
    assert not any(f" {name} " in f" {redacted} " for name in DIGIT_NAMES)


@settings(max_examples=150)
@given(phone_numbers, PROSE, st.data())
def test_phone_numbers_written_or_spoken_are_replaced(number: str, before: str, data: st.DataObject) -> None:
    plus = data.draw(st.sampled_from(["", "+"]))
    digits_form = data.draw(written(number))
    assume(not ISO_DATE.fullmatch(digits_form))  # "2024-05-01" is kept as a date, by design
    for form in (plus + digits_form, spoken(number, data.draw(st.sampled_from([" ", ", "])))):
        redacted = redact_text(f"{before} call me on {form} tomorrow")
        assert PHONE in redacted or CARD in redacted  # a 13-15 digit number may happen to pass Luhn
        assert digits_left(redacted) == ""


def test_typical_phrasings_are_redacted() -> None:
    assert redact_text("it's +1 (425) 555-0101") == f"it's {PHONE}"
    assert redact_text("four one five, five five five, zero one zero one") == PHONE
    assert redact_text("double five, triple one, two three four five") == PHONE
    assert redact_text("card 4111 1111 1111 1111 exp 12/29") == f"card {CARD} exp 12/29"
    assert redact_text("write to ana.diaz+billing@contoso.co.uk please") == f"write to {EMAIL} please"
    assert redact_text("it is ana dot diaz at contoso dot com") == f"it is {EMAIL}"


def test_short_numbers_dates_and_long_non_card_ids_are_kept() -> None:
    kept = "account ACC-1001 owes 55 dollars since 2024-05-01, order 1234567890123456789, option five"
    assert redact_text(kept) == kept
    assert redact_text("4111 1111 1111 1112") == "4111 1111 1111 1112"  # 16 digits failing Luhn: not a card


@settings(max_examples=150)
@given(st.emails(), PROSE)
def test_email_addresses_are_replaced(address: str, before: str) -> None:
    redacted = redact_text(f"{before} {address} ok")
    assert EMAIL in redacted and "@" not in redacted


@settings(max_examples=100)
@given(PROSE)
def test_prose_without_personal_data_is_unchanged(text: str) -> None:
    assert redact_text(text) == text


@settings(max_examples=300)
@given(st.text())
def test_redaction_never_fails_and_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


def test_events_are_redacted_by_kind_and_other_fields_are_kept() -> None:
    line = {"type": "transcript", "role": "caller", "text": "I'm on 4255550101", "ts": "t"}
    assert redact_event(line) == {**line, "text": f"I'm on {PHONE}"}
    tool = {
        "type": "tool_call",
        "name": "pay",
        "arguments": {"card": "4111111111111111", "items": ["mail me at a@b.co"]},
        "output": '{"ok": true}',
        "ok": True,
        "duration_ms": 3,
    }
    assert redact_event(tool)["arguments"] == {"card": CARD, "items": [f"mail me at {EMAIL}"]}
    assert redact_event(tool)["name"] == "pay" and redact_event(tool)["duration_ms"] == 3
    assert redact_event({"type": "dtmf", "digit": "4", "ts": "t"})["digit"] == REDACTED
    usage = {"type": "usage", "usage": {"total_tokens": 4155550101}}
    assert redact_event(usage) == usage

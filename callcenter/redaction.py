"""Redaction of personal data in stored transcripts: card numbers, phone numbers, e-mail addresses.

Turned on by `REDACT_TRANSCRIPTS`. Speech-to-text writes numbers both as digits ("4155550101") and
as words ("four one five, five five five ..."), so a number is any run of digit groups and digit
words ("oh" and "double"/"triple" included) separated by spaces or punctuation. A run of 13-19
digits that passes the Luhn check is a card number; any other run of 7-15 digits is treated as a
phone number (erring on the side of hiding it). Longer runs that fail Luhn (order ids, tracking
numbers) and ISO dates are kept.
"""

from __future__ import annotations

import re
from typing import Any

CARD = "[card number]"
PHONE = "[phone number]"
EMAIL = "[email]"
REDACTED = "[redacted]"

DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
REPEATS = {"double": 2, "triple": 3}
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15
CARD_DIGITS = range(13, 20)

_WORD = "|".join(sorted(DIGIT_WORDS, key=len, reverse=True))
# One token of a spoken or written number: a digit group, or an optional repeat word and a digit word.
_TOKEN = rf"(?:\d+|(?:(?:double|triple)[ \t-]+)?(?:{_WORD})\b)"
_SEPARATOR = r"[ \t.,;:()/+\-]*"
_NUMBER_RUN = re.compile(rf"(?<![\w@])\+?{_TOKEN}(?:{_SEPARATOR}{_TOKEN})*", re.IGNORECASE)
_TOKENS = re.compile(rf"(?:(double|triple)[ \t-]+)?({_WORD})\b|(\d+)", re.IGNORECASE)
ISO_DATE = re.compile(r"(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
# Written addresses (RFC 5322 dot-atoms, loosely) and spoken ones ("ana dot diaz at contoso dot com").
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SPOKEN_EMAIL = re.compile(r"\b\w+(?:\s+dot\s+\w+)*\s+at\s+\w+(?:\s+dot\s+\w+)+\b", re.IGNORECASE)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def spoken_digits(run: str) -> str:
    """The digits a run of digit groups and digit words stands for ("double five one" -> "551")."""
    digits: list[str] = []
    for repeat, word, group in _TOKENS.findall(run):
        if group:
            digits.append(group)
        else:
            digits.append(DIGIT_WORDS[word.lower()] * REPEATS.get(repeat.lower(), 1))
    return "".join(digits)


def _number_replacement(match: re.Match[str]) -> str:
    run = match.group(0)
    digits = spoken_digits(run)
    if len(digits) in CARD_DIGITS and luhn_valid(digits):
        return CARD
    if MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS and not ISO_DATE.fullmatch(run.strip()):
        return PHONE
    return run


def redact_text(text: str) -> str:
    """`text` with card numbers, phone numbers and e-mail addresses replaced by placeholders."""
    text = _EMAIL.sub(EMAIL, text)
    text = _SPOKEN_EMAIL.sub(EMAIL, text)
    return _NUMBER_RUN.sub(_number_replacement, text)


def redact_value(value: Any) -> Any:
    """Strings redacted anywhere inside a JSON value (tool arguments and outputs)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    return value


def redact_event(event: dict[str, Any]) -> dict[str, Any]:
    """A bridge event as it may be stored: what the caller or a tool said is redacted.

    Transcript lines and tool arguments/outputs are redacted; DTMF key presses are hidden entirely
    (a caller keying in a card number sends one event per digit, which no pattern would catch).
    """
    kind = event.get("type")
    if kind == "transcript" and isinstance(event.get("text"), str):
        return {**event, "text": redact_text(event["text"])}
    if kind == "tool_call":
        return {key: redact_value(item) if key in ("arguments", "output") else item for key, item in event.items()}
    if kind == "dtmf" and "digit" in event:
        return {**event, "digit": REDACTED}
    return event

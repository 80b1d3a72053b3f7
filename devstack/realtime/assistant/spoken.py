"""Values as callers say them and back: ids spelled letter by letter, digits, ZIP codes, dates.

Speech-to-text writes what people say ("a c c one zero zero one", "the fifth of december"); tools
want `ACC-1001` and `2026-12-05`. The same tables turn values into words for the recognizer's
language model and for the agent's replies, so both directions agree.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT_OF = {word: str(n) for n, word in enumerate(DIGIT_WORDS)} | {"oh": "0"}
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
ORDINALS = tuple(
    [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
    ]
)
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_TEENS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]  # 10..19
_SMALL = {w: n for n, w in enumerate(DIGIT_WORDS)} | {w: 10 + n for n, w in enumerate(_TEENS)}


def words_of(text: str) -> list[str]:
    """Lower-case words, digits kept, punctuation dropped ("ACC-1001!" -> ["acc", "1001"])."""
    return re.findall(r"[a-z0-9']+", text.lower())


def say_digits(digits: str) -> str:
    """ "1001" -> "one zero zero one"."""
    return " ".join(DIGIT_WORDS[int(d)] for d in digits if d.isdigit())


def say_id(value: str) -> str:
    """ "ACC-1001" -> "a c c one zero zero one": an id spelled the way it is read out."""
    parts: list[str] = []
    for char in value.lower():
        if char.isdigit():
            parts.append(DIGIT_WORDS[int(char)])
        elif char.isalpha():
            parts.append(char)
    return " ".join(parts)


def say_number(n: int) -> str:
    """0..99 in words ("forty two")."""
    if n < 20:
        return next(w for w, v in _SMALL.items() if v == n)
    tens = next(w for w, v in _TENS.items() if v == n - n % 10)
    return tens if n % 10 == 0 else f"{tens} {DIGIT_WORDS[n % 10]}"


def say_ordinal(n: int) -> str:
    """1..31 as an ordinal ("twenty first")."""
    if n <= 20:
        return ORDINALS[n - 1]
    if n == 30:
        return "thirtieth"
    return f"{'twenty' if n < 30 else 'thirty'} {ORDINALS[n % 10 - 1]}"


def say_year(year: int) -> str:
    """1984 -> "nineteen eighty four"; 2026 -> "twenty twenty six"."""
    high, low = divmod(year, 100)
    if low == 0:
        return f"{say_number(high)} hundred"
    return f"{say_number(high)} {'oh ' + DIGIT_WORDS[low] if low < 10 else say_number(low)}"


def say_date(value: date, *, year: bool = True) -> str:
    """2026-12-05 -> "december fifth twenty twenty six"."""
    text = f"{MONTHS[value.month - 1]} {say_ordinal(value.day)}"
    return f"{text} {say_year(value.year)}" if year else text


def join_spoken(words: list[str]) -> list[str]:
    """Runs of digit words and of single letters joined: ["a","c","c","one","zero"] -> ["acc", "10"].

    A digit run keeps its digits as a string so leading zeros survive ("zero one" -> "01")."""
    tokens: list[str] = []
    kinds: list[str] = []
    for i, word in enumerate(words):
        digit = word if word.isdigit() else _DIGIT_OF.get(word)
        kind = "digits" if digit is not None else "letter" if len(word) == 1 and word not in ("a", "i") else "word"
        if word == "a" and ((tokens and kinds[-1] == "letter") or (i + 1 < len(words) and _is_letter(words[i + 1]))):
            kind = "letter"  # "a" inside or starting a spelled run ("a c c") is the letter
        value = digit if digit is not None else word
        if tokens and kind in ("digits", "letter") and kinds[-1] == kind:
            tokens[-1] += value
        else:
            tokens.append(value)
            kinds.append(kind)
    return tokens


def _is_letter(word: str) -> bool:
    return len(word) == 1 and word.isalpha() and word not in ("a", "i")


def _number_at(words: list[str], i: int) -> tuple[int, int] | None:
    """A number 0..99 spoken at words[i] ("twenty one", "fourteen"): (value, words used)."""
    if i >= len(words):
        return None
    word = words[i]
    if word.isdigit():
        return int(word), 1
    if word in _TENS:
        if i + 1 < len(words) and words[i + 1] in DIGIT_WORDS[1:]:
            return _TENS[word] + DIGIT_WORDS.index(words[i + 1]), 2
        return _TENS[word], 1
    if word in _SMALL:
        return _SMALL[word], 1
    return None


def _ordinal_at(words: list[str], i: int) -> tuple[int, int] | None:
    """A day spoken at words[i] ("fifth", "twenty first", "5th", "5"): (day, words used)."""
    if i >= len(words):
        return None
    word = words[i]
    match = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)?", word)
    if match:
        return int(match.group(1)), 1
    if word in ORDINALS:
        return ORDINALS.index(word) + 1, 1
    if word in ("twenty", "thirty") and i + 1 < len(words):
        nxt = words[i + 1]
        if nxt in ORDINALS[:9]:
            return _TENS[word] + ORDINALS.index(nxt) + 1, 2
    if word == "thirtieth":
        return 30, 1
    return None


def _year_at(words: list[str], i: int) -> tuple[int, int] | None:
    """A year at words[i]: "1984", "nineteen eighty four", "two thousand one", "twenty twenty six"."""
    if i >= len(words):
        return None
    if re.fullmatch(r"\d{4}", words[i]):
        return int(words[i]), 1
    if words[i] == "two" and i + 1 < len(words) and words[i + 1] == "thousand":
        rest = _number_at(words, i + 2)
        return (2000 + rest[0], 2 + rest[1]) if rest else (2000, 2)
    high = _number_at(words, i)
    if high is None or not 19 <= high[0] <= 20:
        return None
    j = i + high[1]
    if j < len(words) and words[j] == "oh" and j + 1 < len(words) and words[j + 1] in DIGIT_WORDS:
        return high[0] * 100 + DIGIT_WORDS.index(words[j + 1]), high[1] + 2
    low = _number_at(words, j)
    if low is None or low[0] < 10:
        return None
    return high[0] * 100 + low[0], high[1] + low[1]


def parse_dates(text: str, today: date) -> list[tuple[date, bool]]:
    """Dates in `text` with whether a year was said: "the fifth of december" (the such day nearest
    `today`), "december fifth", "march fourteenth nineteen eighty four", "1984-03-14"."""
    found: list[tuple[date, bool]] = []
    for iso in re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        with contextlib.suppress(ValueError):
            found.append((date(int(iso[0]), int(iso[1]), int(iso[2])), True))
    words = [w for w in words_of(text) if w not in ("the", "of")]
    for i, word in enumerate(words):
        if word not in MONTHS:
            continue
        month = MONTHS.index(word) + 1
        day = _ordinal_at(words, i + 1)
        year_at = i + 1 + (day[1] if day else 0)
        if day is None and i > 0:
            # "fifth december": the day came first ("the" and "of" were dropped above).
            for back in (2, 1):
                candidate = _ordinal_at(words, i - back) if i - back >= 0 else None
                if candidate is not None and candidate[1] == back:
                    day = candidate
                    break
        if day is None:
            continue
        year = _year_at(words, year_at)
        try:
            if year is not None:
                found.append((date(year[0], month, day[0]), True))
            else:
                # No year: the nearest such day ("the fifth of December" said in late November or
                # early December means this December; said in June, it means the coming one).
                options = [date(today.year + k, month, day[0]) for k in (-1, 0, 1)]
                found.append((min(options, key=lambda d: abs((d - today).days)), False))
        except ValueError:
            continue
    return found

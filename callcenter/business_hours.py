"""Opening hours such as "Mon-Fri 09:00-17:00; Sat 10:00-14:00" in a time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OpeningHours:
    """Which local days and times are open; `spans[d]` lists (start, end) for weekday d (Mon = 0)."""

    spans: tuple[tuple[tuple[time, time], ...], ...]
    timezone: ZoneInfo
    text: str

    @classmethod
    def parse(cls, text: str, timezone: str) -> OpeningHours:
        """Parse `"Mon-Fri 09:00-17:00; Sat 10:00-14:00"`.

        Raises:
            InvalidInput: unknown day, bad time, end before start, or unknown time zone.
        """
        spans: list[list[tuple[time, time]]] = [[] for _ in DAYS]
        for part in filter(None, (p.strip() for p in text.split(";"))):
            days_text, _, hours_text = part.partition(" ")
            start, end = _parse_span(hours_text.strip(), part)
            for day in _parse_days(days_text, part):
                spans[day].append((start, end))
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone '{timezone}'") from None
        return cls(tuple(tuple(s) for s in spans), zone, text)

    def is_open(self, at: datetime) -> bool:
        """Whether `at` (an aware datetime) falls in an open span, in local time."""
        local = at.astimezone(self.timezone)
        now = local.time()
        return any(start <= now < end for start, end in self.spans[local.weekday()])


def _parse_days(text: str, part: str) -> list[int]:
    first, _, last = text.lower().partition("-")
    try:
        a = DAYS.index(first[:3])
        b = DAYS.index(last[:3]) if last else a
    except ValueError:
        raise InvalidInput(f"unknown day in '{part}' (use Mon..Sun)") from None
    return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]


def _parse_span(text: str, part: str) -> tuple[time, time]:
    start_text, sep, end_text = text.partition("-")
    try:
        if not sep:
            raise ValueError
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    except ValueError:
        raise InvalidInput(f"bad hours in '{part}' (use HH:MM-HH:MM)") from None
    if end <= start:
        raise InvalidInput(f"hours end before they start in '{part}'")
    return start, end

"""Calling windows: the local days and hours a contact may be called, in the contact's time zone.

Times are always compared in the contact's zone with `zoneinfo`, so a window of 09:00-18:00 stays
09:00-18:00 local across a daylight-saving change (the UTC instants move by an hour). A local start
time that does not exist on a spring-forward day (e.g. 02:30) resolves to the instant after the gap,
as `zoneinfo` maps it with the pre-transition offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Looking further ahead than this means the window can never open (e.g. every day is a holiday).
SEARCH_DAYS = 400


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The time zone called `name`.

    Raises:
        ValueError: unknown zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}'") from None


@dataclass(frozen=True)
class CallingWindow:
    """Open on `days` (Mon = 0) from `start` to `end` local time, except `holidays`, between the dates."""

    days: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date] = frozenset()
    first_day: date | None = None
    last_day: date | None = None

    def _day_open(self, day: date) -> bool:
        if day.weekday() not in self.days or day in self.holidays:
            return False
        if self.first_day is not None and day < self.first_day:
            return False
        return self.last_day is None or day <= self.last_day

    def is_open(self, at: datetime, time_zone: str) -> bool:
        """Whether the aware instant `at` falls inside the window in `time_zone`."""
        local = at.astimezone(zone(time_zone))
        return self._day_open(local.date()) and self.start <= local.time().replace(tzinfo=None) < self.end

    def next_open(self, at: datetime, time_zone: str) -> datetime | None:
        """The first instant at or after `at` (UTC) inside the window, or None if it never opens again."""
        tz = zone(time_zone)
        local_day = at.astimezone(tz).date()
        if self.last_day is not None and local_day > self.last_day:
            return None
        for offset in range(SEARCH_DAYS):
            day = local_day + timedelta(days=offset)
            if self.last_day is not None and day > self.last_day:
                return None
            if not self._day_open(day):
                continue
            opens = datetime.combine(day, self.start, tz).astimezone(UTC)
            closes = datetime.combine(day, self.end, tz).astimezone(UTC)
            if at < closes:
                return max(at, opens)
        return None

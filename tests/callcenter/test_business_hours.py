"""Opening hours in a time zone, used for human-agent availability and calling windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callcenter.business_hours import OpeningHours
from callcenter.errors import InvalidInput


def test_open_in_local_time_not_utc() -> None:
    hours = OpeningHours.parse("Mon-Fri 09:00-17:00", "America/New_York")
    assert hours.is_open(datetime(2026, 11, 26, 14, 30, tzinfo=UTC))  # 09:30 in New York, Thursday
    assert not hours.is_open(datetime(2026, 11, 26, 13, 30, tzinfo=UTC))  # 08:30
    assert not hours.is_open(datetime(2026, 11, 28, 15, 0, tzinfo=UTC))  # Saturday


def test_several_spans_and_wrapping_day_ranges() -> None:
    hours = OpeningHours.parse("Fri-Mon 10:00-12:00; Wed 13:00-14:00", "UTC")
    assert hours.is_open(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))  # Monday
    assert hours.is_open(datetime(2026, 11, 25, 13, 30, tzinfo=UTC))  # Wednesday
    assert not hours.is_open(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))  # Tuesday


@pytest.mark.parametrize("text", ["Funday 09:00-10:00", "Mon 9-5", "Mon 17:00-09:00", "Mon"])
def test_malformed_hours_are_refused_with_the_part_named(text: str) -> None:
    with pytest.raises(InvalidInput):
        OpeningHours.parse(text, "UTC")


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        OpeningHours.parse("Mon 09:00-10:00", "Mars/Olympus")

"""Calling windows, pacing and retries as pure functions; the in-call campaign tools."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from callcenter.campaigns.model import parse_settings
from callcenter.campaigns.pacing import Bucket, Pacing, RetryPolicy
from callcenter.campaigns.windows import CallingWindow
from callcenter.errors import InvalidInput
from callcenter.tools.campaign_tools import voicemail_detected
from callcenter.tools.registry import Channel, ToolContext, ToolError

WEEKDAYS = CallingWindow(frozenset(range(5)), time(9), time(17))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_window_opens_at_local_nine_before_and_after_a_dst_change() -> None:
    # New York: EST (UTC-5) until Sunday 2025-03-09, EDT (UTC-4) after.
    assert WEEKDAYS.next_open(utc(2025, 3, 7, 12), "America/New_York") == utc(2025, 3, 7, 14)
    assert WEEKDAYS.next_open(utc(2025, 3, 7, 23), "America/New_York") == utc(2025, 3, 10, 13)
    assert WEEKDAYS.is_open(utc(2025, 3, 10, 13, 30), "America/New_York")
    assert not WEEKDAYS.is_open(utc(2025, 3, 10, 21, 0), "America/New_York")  # 17:00 EDT: closed


def test_window_skips_holidays_and_stops_after_the_last_day() -> None:
    window = CallingWindow(
        frozenset(range(5)), time(9), time(17), frozenset({date(2025, 3, 10)}), None, date(2025, 3, 11)
    )
    assert window.next_open(utc(2025, 3, 8, 0), "UTC") == utc(2025, 3, 11, 9)
    assert window.next_open(utc(2025, 3, 11, 17), "UTC") is None
    later_start = CallingWindow(frozenset(range(7)), time(9), time(17), frozenset(), date(2025, 4, 1))
    assert later_start.next_open(utc(2025, 3, 1), "Asia/Tokyo") == utc(2025, 4, 1, 0)


def test_pacing_counts_calls_in_flight_and_starts_in_the_last_minute() -> None:
    pacing = Pacing(max_concurrent=3, max_calls_per_minute=4)
    now = utc(2025, 1, 1, 12)
    recent = [now - timedelta(seconds=s) for s in (70, 50, 30, 10)]
    assert pacing.allowed(now, 0, recent) == 1  # three starts in the last 60 s
    assert pacing.allowed(now, 3, []) == 0
    assert pacing.next_slot(now, [*recent, now]) == now + timedelta(seconds=10)
    assert pacing.next_slot(now, recent) is None


def test_retries_follow_the_delay_of_each_outcome_up_to_the_attempt_limit() -> None:
    policy = RetryPolicy(3, {Bucket.NO_ANSWER: 60, Bucket.BUSY: 5, Bucket.VOICEMAIL: None, Bucket.FAILED: 0})
    now = utc(2025, 1, 1)
    assert policy.retry_at(Bucket.NO_ANSWER, 1, now) == now + timedelta(hours=1)
    assert policy.retry_at(Bucket.BUSY, 2, now) == now + timedelta(minutes=5)
    assert policy.retry_at(Bucket.BUSY, 3, now) is None
    assert policy.retry_at(Bucket.VOICEMAIL, 1, now) is None
    assert policy.retry_at(Bucket.COMPLETED, 1, now) is None


def test_settings_default_voicemail_retries_by_policy_and_accept_per_outcome_delays() -> None:
    left = parse_settings({"name": "x", "agent": "outreach", "voicemail_policy": "leave_message"})
    assert left.retry.delays[Bucket.VOICEMAIL] is None and left.retry.delays[Bucket.BUSY] == 60
    custom = parse_settings(
        {"name": "x", "agent": "a", "attempts": {"retry_delay_minutes": 10, "retry_delays_minutes": {"busy": 2}}}
    )
    assert custom.retry.delays[Bucket.BUSY] == 2 and custom.retry.delays[Bucket.NO_ANSWER] == 10
    assert parse_settings(custom.to_json()).to_json() == custom.to_json()
    with pytest.raises(InvalidInput):
        parse_settings({"name": "x", "agent": "a", "start_date": "2025-05-02", "end_date": "2025-05-01"})


async def test_voicemail_tool_says_the_message_or_nothing_by_policy_and_only_on_campaign_calls() -> None:
    def context(**variables: str) -> ToolContext:
        return ToolContext(Channel.PHONE, "outreach", "call-1", variables)

    left = await voicemail_detected({}, context(voicemail_policy="leave_message", voicemail_message="Call us back."))
    assert "Call us back." in left["say"] and "end_call" in left["say"]
    hung_up = await voicemail_detected({}, context(voicemail_policy="hang_up"))
    assert "nothing" in hung_up["say"]
    with pytest.raises(ToolError):
        await voicemail_detected({}, context())

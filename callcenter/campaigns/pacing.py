"""Pacing and retries: how many calls may start now, and when a contact is tried again.

Both are pure functions of the orchestration's own clock, so the campaign orchestrator can call
them while replaying (no I/O, no wall clock).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from callcenter.calls import Outcome

RATE_WINDOW = timedelta(seconds=60)


class Bucket(enum.StrEnum):
    """Where a contact stands; the campaign's counters count contacts per bucket.

    A finished attempt's bucket is named like its call's `Outcome` (one spelling for both).
    """

    PENDING = "pending"  # not called yet, or waiting for a retry
    IN_PROGRESS = "in_progress"
    COMPLETED = Outcome.COMPLETED.value
    NO_ANSWER = Outcome.NO_ANSWER.value
    BUSY = Outcome.BUSY.value
    FAILED = Outcome.FAILED.value
    VOICEMAIL = Outcome.VOICEMAIL.value
    TRANSFERRED = Outcome.TRANSFERRED.value
    DO_NOT_CALL = "do_not_call"
    NOT_CALLED = "not_called"  # the calling period ended before the contact could be called


# A campaign call nobody abandons: an outbound call "abandoned" by the callee counts as reached.
FINAL_FROM_CALL: dict[Outcome, Bucket] = {
    **{outcome: Bucket(outcome.value) for outcome in Outcome if outcome is not Outcome.ABANDONED},
    Outcome.ABANDONED: Bucket.COMPLETED,
}
RETRYABLE = (Bucket.NO_ANSWER, Bucket.BUSY, Bucket.FAILED, Bucket.VOICEMAIL)


def bucket_of_call(outcome: str) -> Bucket:
    """The bucket of a finished call's outcome (an unreadable one counts as failed)."""
    parsed = Outcome.parse(outcome)
    return FINAL_FROM_CALL[parsed] if parsed is not None else Bucket.FAILED


@dataclass(frozen=True)
class Pacing:
    """At most `max_concurrent` calls at once and `max_calls_per_minute` starts in any 60 seconds."""

    max_concurrent: int
    max_calls_per_minute: int

    def allowed(self, now: datetime, in_flight: int, recent: list[datetime]) -> int:
        """How many calls may start at `now`, given the calls in flight and the recent start times."""
        started = sum(1 for t in recent if t > now - RATE_WINDOW)
        return max(0, min(self.max_concurrent - in_flight, self.max_calls_per_minute - started))

    def next_slot(self, now: datetime, recent: list[datetime]) -> datetime | None:
        """When the per-minute limit frees a start slot again (None when one is free now)."""
        window = sorted(t for t in recent if t > now - RATE_WINDOW)
        if len(window) < self.max_calls_per_minute:
            return None
        return window[len(window) - self.max_calls_per_minute] + RATE_WINDOW

    @staticmethod
    def keep(now: datetime, recent: list[datetime]) -> list[datetime]:
        """The start times that still count against the per-minute limit."""
        return [t for t in recent if t > now - RATE_WINDOW]


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` per contact; `delays` gives minutes before a retry per outcome (None = never)."""

    max_attempts: int
    delays: dict[Bucket, int | None]

    def retry_at(self, bucket: Bucket, attempts: int, now: datetime) -> datetime | None:
        """When to call again after an attempt that ended in `bucket`, or None when the contact is done."""
        if bucket not in RETRYABLE or attempts >= self.max_attempts:
            return None
        minutes = self.delays.get(bucket)
        return None if minutes is None else now + timedelta(minutes=minutes)

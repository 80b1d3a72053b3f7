""".NET TimeSpan text (`[d.]hh:mm:ss[.fff]`), as host.json writes durations and the host prints them."""

from __future__ import annotations

import re
from datetime import timedelta

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?$")


class TimespanError(ValueError):
    """Text that is not a TimeSpan."""


def parse_timespan(text: str) -> timedelta:
    """A .NET TimeSpan (`[d.]hh:mm:ss[.fff]`) as a timedelta."""
    found = _TIMESPAN.match(text.strip())
    if found is None:
        raise TimespanError(f"must be a TimeSpan like 00:10:00, not {text!r}")
    days, hours, minutes, seconds, fraction = found.groups()
    return timedelta(
        days=int(days or 0),
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds) + float(f"0.{fraction}" if fraction else 0),
    )


def format_timespan(value: timedelta | None) -> str:
    """A timedelta as .NET prints a TimeSpan (`00:10:00`, `1.02:00:00`)."""
    if value is None:
        return "-1"
    whole = int(value.total_seconds())
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02}:{minutes:02}:{seconds:02}"
    return f"{days}.{clock}" if days else clock


def timeout_message(limit: timedelta | None, function_name: str) -> str:
    """The Functions host's text when an invocation outlives `functionTimeout` (WebJobs FunctionExecutor)."""
    return f"Timeout value of {format_timespan(limit)} was exceeded by function: Functions.{function_name}"

"""Timer triggers: NCRONTAB schedules run on a `Clock`, so a test can drive them with a virtual clock.

Azure Functions schedules are six-field NCRONTAB expressions, seconds first
(`{second} {minute} {hour} {day} {month} {day-of-week}`), evaluated in UTC unless
WEBSITE_TIME_ZONE says otherwise (not supported on Linux Flex Consumption, so UTC here). `%NAME%`
reads the schedule from an app setting. As on Azure, one function never overlaps itself: if an
invocation outlasts its interval, the next occurrence runs when it ends, marked past due.
`croniter` evaluates the expression (`second_at_beginning` gives NCRONTAB's field order).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.functions.timer import TimerRequest
from croniter import croniter

from devstack.durable.clock import Clock

log = logging.getLogger("devstack.host")

_SETTING = re.compile(r"^%([^%]+)%$")

Invoke = Callable[[str, Any, dict[str, Any]], Awaitable[Any]]
"""How the host runs a function: (name, function, arguments by binding name)."""


class ScheduleError(ValueError):
    """A schedule this host (and Azure) refuses; the message names the function and the expression."""


@dataclass(frozen=True)
class TimerFunction:
    """A timer-triggered function and its parsed schedule."""

    name: str
    arg_name: str
    function: Any
    schedule: str  # the six-field NCRONTAB expression, settings resolved
    run_on_startup: bool

    def next_after(self, when: datetime) -> datetime:
        """The first occurrence strictly after `when` (UTC)."""
        following: datetime = croniter(self.schedule, when, second_at_beginning=True).get_next(datetime)
        return following


def timer_function(name: str, binding: Mapping[str, Any], function: Any, settings: Mapping[str, str]) -> TimerFunction:
    """Build a `TimerFunction` from a `timerTrigger` binding.

    Raises:
        ScheduleError: the schedule is missing, names an unset setting, or is not six-field NCRONTAB.
    """
    raw = str(binding.get("schedule") or "")
    schedule = raw
    if found := _SETTING.match(raw):
        schedule = settings.get(found.group(1), "")
        if not schedule:
            raise ScheduleError(f"function {name}: schedule {raw} names app setting '{found.group(1)}', which is unset")
    fields = schedule.split()
    if len(fields) != 6 or not croniter.is_valid(schedule, second_at_beginning=True):
        raise ScheduleError(
            f"function {name}: schedule {schedule!r} is not a six-field NCRONTAB expression "
            "({second} {minute} {hour} {day} {month} {day-of-week})"
        )
    return TimerFunction(name, str(binding["name"]), function, schedule, bool(binding.get("runOnStartup")))


class TimerScheduler:
    """Runs each timer function on its schedule; `wait_idle` lets a virtual clock wait for invocations."""

    def __init__(self, timers: list[TimerFunction], clock: Clock, invoke: Invoke) -> None:
        self._timers = timers
        self._clock = clock
        self._invoke = invoke
        self._tasks: list[asyncio.Task[None]] = []
        self._running = 0  # invocations in progress
        self._settled = asyncio.Event()  # set whenever `_running` drops to zero

    async def start(self) -> None:
        """Start one loop per timer function."""
        self._clock.attach(self.wait_idle)
        self._tasks = [asyncio.create_task(self._loop(timer), name=f"timer:{timer.name}") for timer in self._timers]

    async def stop(self) -> None:
        """Stop scheduling (an invocation in progress is cancelled with its loop)."""
        self._clock.detach(self.wait_idle)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def wait_idle(self) -> None:
        """Return once no timer invocation is in progress."""
        while self._running:
            self._settled.clear()
            await self._settled.wait()

    async def _loop(self, timer: TimerFunction) -> None:
        last: datetime | None = None
        if timer.run_on_startup:
            last = await self._fire(timer, self._clock.now(), last)
        due = timer.next_after(self._clock.now())
        while True:
            await self._clock.sleep_until(due)
            last = await self._fire(timer, due, last)
            now = self._clock.now()
            following = timer.next_after(due)
            # Occurrences missed while the invocation ran collapse into one, run now (past due).
            due = following if following > now else now

    async def _fire(self, timer: TimerFunction, due: datetime, last: datetime | None) -> datetime:
        now = self._clock.now()
        status = {
            "Last": (last or due).isoformat(),
            "Next": timer.next_after(due).isoformat(),
            "LastUpdated": now.isoformat(),
        }
        request = TimerRequest(
            past_due=(now - due).total_seconds() >= 1, schedule_status=status, schedule={"AdjustForDST": False}
        )
        self._running += 1
        try:
            await self._invoke(timer.name, timer.function, {timer.arg_name: request})
        except Exception:
            log.exception("timer function %s failed", timer.name)
        finally:
            self._running -= 1
            if not self._running:
                self._settled.set()
        return due

"""Time sources for the Durable engine: the wall clock for `make run`, a virtual clock for tests.

Durable timers are the only thing in the engine that waits on time. Routing every wait through a
`Clock` lets a test run a three-day timer in milliseconds: `await clock.advance(timedelta(days=3))`
moves time forward in steps, waking each sleeper in deadline order and letting every attached engine
run until idle before the next step, so timers created by a timer's continuation fire in order too.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the engine needs from time: the current UTC instant and a way to sleep until one."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once `now() >= when`; cancellable."""
        ...

    def attach(self, wait_idle: Callable[[], Awaitable[None]]) -> None:
        """Register an engine's run-until-idle hook (used by virtual clocks to step safely)."""
        ...

    def detach(self, wait_idle: Callable[[], Awaitable[None]]) -> None:
        """Forget a hook registered with `attach`."""
        ...


class RealClock:
    """The wall clock. Sleeps are plain `asyncio.sleep` calls, re-checked against the clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        # One sleep; the engine's timer loop re-checks the deadline and sleeps again if woken early.
        remaining = (when - self.now()).total_seconds()
        if remaining > 0:
            await asyncio.sleep(remaining)

    def attach(self, wait_idle: Callable[[], Awaitable[None]]) -> None:
        """Nothing to do: the wall clock does not wait for anyone."""

    def detach(self, wait_idle: Callable[[], Awaitable[None]]) -> None:
        """Nothing to do."""


class VirtualClock:
    """A clock that only moves when a test calls `advance` or `set`.

    Sleepers are kept in a heap by deadline. `advance` walks the deadlines in order: set the time,
    wake the due sleepers, then await every attached engine's idle hook, so work triggered by one
    timer (including new, earlier-than-target timers) is finished before time moves again.
    """

    def __init__(self, start: datetime | None = None) -> None:
        # The current virtual instant; only `advance`/`set` change it.
        self._now = start or datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
        # (deadline, tie-breaker, future) for every pending `sleep_until`.
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()
        # Idle hooks of the engines driven by this clock.
        self._idle_hooks: list[Callable[[], Awaitable[None]]] = []

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        if when <= self._now:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (when, next(self._counter), future))
        await future

    def attach(self, wait_idle: Callable[[], Awaitable[None]]) -> None:
        self._idle_hooks.append(wait_idle)

    def detach(self, wait_idle: Callable[[], Awaitable[None]]) -> None:
        if wait_idle in self._idle_hooks:
            self._idle_hooks.remove(wait_idle)

    async def advance(self, delta: timedelta) -> None:
        """Move time forward by `delta`, firing everything due on the way, in deadline order."""
        if delta < timedelta(0):
            raise ValueError("a virtual clock cannot go backwards")
        await self.set(self._now + delta)

    async def set(self, target: datetime) -> None:
        """Move time forward to `target` (no-op if it is in the past), stepping through deadlines."""
        await self._settle()
        while True:
            self._drop_cancelled()
            if not self._sleepers or self._sleepers[0][0] > target:
                break
            self._now = max(self._now, self._sleepers[0][0])
            self._wake_due()
            await self._settle()
        self._now = max(self._now, target)
        self._wake_due()
        await self._settle()

    def _drop_cancelled(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)

    def _wake_due(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def _settle(self) -> None:
        # Let woken tasks run, then wait until every attached engine has nothing left to do now.
        await asyncio.sleep(0)
        for hook in list(self._idle_hooks):
            await hook()

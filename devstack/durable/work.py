"""The engine's work outside episodes: running activities and firing durable timers.

Both end the same way, write-ahead: one transaction deletes the work row and queues the completion
message for the orchestration, so an outcome is durable before any episode can consume it. Each
part gets what it needs (the store, the clock, the live instances) from its constructor.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from devstack.durable import history as h
from devstack.durable.clock import Clock
from devstack.durable.functions import ActivityError, ActivityFunction, FunctionTable, missing_activity_reason
from devstack.durable.instance import Instance
from devstack.durable.live import LiveInstances, StoreRef
from devstack.durable.store import ActivityRow

log = logging.getLogger("devstack.durable")


class ActivityRunner:
    """Runs activities concurrently, at most `max_concurrent` at once (host.json's maxConcurrentActivityFunctions)."""

    def __init__(
        self,
        activities: FunctionTable[ActivityFunction],
        store: StoreRef,
        clock: Clock,
        live: LiveInstances,
        *,
        max_concurrent: int,
        timeout: timedelta | None = None,
    ) -> None:
        self._activities = activities
        self._timeout = timeout  # host.json functionTimeout; None = unbounded
        self._store = store
        self._clock = clock
        self._live = live
        self._tasks: set[asyncio.Task[None]] = set()  # running activity tasks (done ones remove themselves)
        self._slots = asyncio.Semaphore(max_concurrent)
        self._threads = ThreadPoolExecutor(max_concurrent, thread_name_prefix="durable-activity")
        self._stopped = False  # set by `stop`: results of activities still running are not written

    def busy(self) -> bool:
        """Whether any activity is running or waiting for a slot."""
        return bool(self._tasks)

    def launch(self, row: ActivityRow) -> None:
        """Start running one scheduled activity."""
        task = asyncio.create_task(self._run(row), name=f"activity:{row.name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def stop(self, grace: float = 10.0) -> None:
        """Let running activities finish for `grace` seconds (results kept), then cancel the rest."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        self._stopped = True
        for task in list(self._tasks):
            task.cancel()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._live.changed.set()

    async def _run(self, row: ActivityRow) -> None:
        activity = self._activities.get(row.name)
        async with self._slots:
            if activity is None:
                event = h.task_failed(self._clock.now(), row.task_id, missing_activity_reason(row.name), None)
            else:
                try:
                    result = await activity.invoke(row.input_json, self._threads, self._timeout)
                    event = h.task_completed(self._clock.now(), row.task_id, result)
                except ActivityError as failed:
                    log.warning("activity %s of instance %s failed: %s", row.name, row.instance_id, failed.details)
                    event = h.task_failed(self._clock.now(), row.task_id, failed.reason, failed.details)
        if self._stopped:
            return  # the work row stays and runs again on the next start
        store = self._store()
        # Write-ahead: the outcome is durable before the orchestrator ever sees it.
        with store.transaction():
            store.delete_activity(row.id)
            self._live.deliver(row.instance_id, event, execution_id=row.execution_id)


class TimerService:
    """Durable timers: a heap of due times, fired in order by one task sleeping on the clock."""

    def __init__(self, store: StoreRef, clock: Clock, live: LiveInstances) -> None:
        self._store = store
        self._clock = clock
        self._live = live
        self._heap: list[tuple[datetime, int, int]] = []  # (fire_at, tie-breaker, store row id)
        self._rows: dict[int, tuple[str, str, int]] = {}  # row id -> (instance, execution, timer id)
        self._wake = asyncio.Event()  # set when a timer is added: the loop re-arms its sleep
        self._tie = itertools.count()

    def track(self, instance: Instance, timer_id: int, row_id: int, fire_at: datetime) -> None:
        """Arm a stored timer."""
        instance.timers[timer_id] = row_id
        self._rows[row_id] = (instance.instance_id, instance.execution_id, timer_id)
        heapq.heappush(self._heap, (fire_at, next(self._tie), row_id))
        self._wake.set()
        self._live.changed.set()

    def cancel(self, row_id: int) -> None:
        """Disarm one timer (its store row is deleted by the caller)."""
        self._rows.pop(row_id, None)

    def forget(self, instance: Instance) -> None:
        """Disarm every timer of an instance that finished or started a new generation."""
        for row_id in instance.timers.values():
            self._rows.pop(row_id, None)
        instance.timers.clear()

    def next_due(self) -> datetime | None:
        """When the earliest armed timer fires, or None."""
        while self._heap and self._heap[0][2] not in self._rows:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    async def run(self) -> None:
        """Fire timers as the clock reaches them (runs until cancelled)."""
        while True:
            fire_at = self.next_due()
            if fire_at is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            if fire_at <= self._clock.now():
                _, _, row_id = heapq.heappop(self._heap)
                self._fire(row_id, fire_at)
                continue
            self._wake.clear()
            sleeper = asyncio.ensure_future(self._clock.sleep_until(fire_at))
            waker = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waker.cancel()

    def _fire(self, row_id: int, fire_at: datetime) -> None:
        target = self._rows.pop(row_id, None)
        if target is None:
            return
        instance_id, execution_id, timer_id = target
        instance = self._live.get(instance_id)
        if instance is not None:
            instance.timers.pop(timer_id, None)
        store = self._store()
        with store.transaction():
            store.delete_timer(row_id)
            self._live.deliver(
                instance_id, h.timer_fired(self._clock.now(), timer_id, fire_at), execution_id=execution_id
            )
        self._live.changed.set()

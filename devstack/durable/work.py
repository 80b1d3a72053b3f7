"""The engine's work outside episodes: running activities and firing durable timers.

Both end the same way, write-ahead: one transaction deletes the work row and queues the completion
message for the orchestration, so an outcome is durable before any episode can consume it.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from devstack.durable import history as h
from devstack.durable.functions import ActivityError
from devstack.durable.instance import Instance
from devstack.durable.store import ActivityRow

if TYPE_CHECKING:
    from devstack.durable.engine import DurableEngine

log = logging.getLogger("devstack.durable")


class WorkMixin:
    """Activities and timers of `DurableEngine`."""

    # -- activities ------------------------------------------------------------------------------

    def _launch_activity(self: DurableEngine, row: ActivityRow) -> None:
        task = asyncio.create_task(self._run_activity(row), name=f"activity:{row.name}")
        self._activity_tasks.add(task)
        task.add_done_callback(self._activity_done)

    def _activity_done(self: DurableEngine, task: asyncio.Task[None]) -> None:
        self._activity_tasks.discard(task)
        self._changed.set()

    async def _run_activity(self: DurableEngine, row: ActivityRow) -> None:
        activity = self.functions.activities.get(row.name)
        async with self._activity_slots:
            if activity is None:
                reason = f"The function '{row.name}' doesn't exist, is disabled, or is not an activity function."
                event = h.task_failed(self.clock.now(), row.task_id, reason, None)
            else:
                try:
                    result = await activity.invoke(row.input_json, self._activity_threads)
                    event = h.task_completed(self.clock.now(), row.task_id, result)
                except ActivityError as failed:
                    log.warning("activity %s of instance %s failed: %s", row.name, row.instance_id, failed.details)
                    event = h.task_failed(self.clock.now(), row.task_id, failed.reason, failed.details)
        if self._store is None:
            return  # stopped meanwhile: the work row stays and runs again on the next start
        # Write-ahead: the outcome is durable before the orchestrator ever sees it.
        with self.store.transaction():
            self.store.delete_activity(row.id)
            self._deliver(row.instance_id, event, execution_id=row.execution_id)

    # -- timers ----------------------------------------------------------------------------------

    def _track_timer(self: DurableEngine, instance: Instance, timer_id: int, row_id: int, fire_at: datetime) -> None:
        instance.timers[timer_id] = row_id
        self._timer_rows[row_id] = (instance.instance_id, instance.execution_id, timer_id)
        heapq.heappush(self._timer_heap, (fire_at, next(self._tie), row_id))
        self._timer_wake.set()
        self._changed.set()

    def _forget_timers(self: DurableEngine, instance: Instance) -> None:
        for row_id in instance.timers.values():
            self._timer_rows.pop(row_id, None)
        instance.timers.clear()

    def _drop_stale_timers(self: DurableEngine) -> None:
        while self._timer_heap and self._timer_heap[0][2] not in self._timer_rows:
            heapq.heappop(self._timer_heap)

    async def _timer_loop(self: DurableEngine) -> None:
        while True:
            self._drop_stale_timers()
            if not self._timer_heap:
                self._timer_wake.clear()
                await self._timer_wake.wait()
                continue
            fire_at, _, row_id = self._timer_heap[0]
            if fire_at <= self.clock.now():
                heapq.heappop(self._timer_heap)
                self._fire_timer(row_id, fire_at)
                continue
            self._timer_wake.clear()
            sleeper = asyncio.ensure_future(self.clock.sleep_until(fire_at))
            waker = asyncio.ensure_future(self._timer_wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waker.cancel()

    def _fire_timer(self: DurableEngine, row_id: int, fire_at: datetime) -> None:
        target = self._timer_rows.pop(row_id, None)
        if target is None:
            return
        instance_id, execution_id, timer_id = target
        instance = self._instances.get(instance_id)
        if instance is not None:
            instance.timers.pop(timer_id, None)
        with self.store.transaction():
            self.store.delete_timer(row_id)
            self._deliver(instance_id, h.timer_fired(self.clock.now(), timer_id, fire_at), execution_id=execution_id)
        self._changed.set()

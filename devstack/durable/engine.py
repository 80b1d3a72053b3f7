"""The local Durable engine: runs orchestrations through the real SDK handler, durably, on loopback.

One dispatcher task runs orchestrator episodes one at a time (on a dedicated thread, so the event
loop keeps serving HTTP while the SDK replays); activities run concurrently (sync ones in a thread
pool, async ones on the loop); a timer task fires durable timers from a heap. Every state change
goes through `Store` in one transaction before anything acts on it (see store.py), so a killed
process resumes where it stopped: in-flight activities run again, completed ones never do.

Scope and differences from Azure are listed in devstack/README.md ("Durable engine").
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import warnings
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute

from devstack.durable import history as h
from devstack.durable.actions import ProtocolError, parse_failure, parse_state
from devstack.durable.clock import Clock, RealClock
from devstack.durable.functions import (
    DurableFunctions,
    OrchestrationContextBody,
    use_fast_timestamp_parsing,
)
from devstack.durable.instance import TERMINAL, Instance, RuntimeStatus
from devstack.durable.live import LiveInstances, parent_ref
from devstack.durable.management import EngineErrors, InstanceClient
from devstack.durable.replay import Decision, Ledger, Outcome, decide, failure_message, is_retry_event
from devstack.durable.store import ActivityRow, Message, Store
from devstack.durable.work import ActivityRunner, TimerService

log = logging.getLogger("devstack.durable")

# What the extension advertises with the Azure Storage backend (OrchestrationTriggerAttributeBindingProvider).
_CONTEXT_SETTINGS = (
    '"upperSchemaVersion":1,"upperSchemaVersionNew":3,'
    '"maximumShortTimerDuration":"6.00:00:00","longRunningTimerIntervalDuration":"3.00:00:00",'
    '"defaultHttpAsyncRequestSleepTimeMillseconds":30000'
)
# The SDK warns (UserWarning) when an external event arrives before anyone waits for it; that is
# the documented buffering path, not a problem, so keep it out of logs and warnings-as-errors tests.
_BUFFERED_EVENT_WARNING = "Potential duplicate Task completion"


class DurableEngine:
    """Run the orchestrations and activities among `functions` (from `app.get_functions()`).

    The engine is the dispatcher (episodes, commits, control messages); its parts are composed, each
    given what it needs: `live` (instances and ready queue), `activities`, `timers`, and `client`
    (the management operations the HTTP API and tests call).
    """

    def __init__(
        self,
        functions: Iterable[Any],
        data_dir: Path,
        clock: Clock | None = None,
        task_hub: str = "TestHubName",
        *,
        max_activities: int = 32,
        max_orchestrators: int = 1,
        max_batch: int = 500,
        fast_timestamps: bool = True,
        activity_timeout: timedelta | None = None,
    ) -> None:
        if max_activities < 1 or max_orchestrators < 1:
            raise ValueError("the Durable concurrency limits must be at least 1")
        self.functions = DurableFunctions.from_app(functions)
        if fast_timestamps:
            use_fast_timestamp_parsing()
        self.clock: Clock = clock or RealClock()
        self.task_hub = task_hub
        self._path = Path(data_dir) / f"{task_hub}.sqlite3"
        self._max_batch = max_batch
        self._store: Store | None = None  # opened by `start`, closed by `stop`
        self.live = LiveInstances(self._open_store)
        self.activities = ActivityRunner(
            self.functions.activities,
            self._open_store,
            self.clock,
            self.live,
            max_concurrent=max_activities,
            timeout=activity_timeout,
        )
        self.timers = TimerService(self._open_store, self.clock, self.live)
        self.client = InstanceClient(self.functions.orchestrators, self._open_store, self.clock, self.live)
        # Episodes run on a pool as wide as maxConcurrentOrchestratorFunctions; one instance never
        # runs two episodes at once (`_busy`), as DTFx holds one session per instance.
        self._episode_slots = asyncio.Semaphore(max_orchestrators)
        self._busy: set[str] = set()  # instances whose episode is running
        self._deferred: set[str] = set()  # became ready while busy: re-queued when the episode ends
        self._episodes: set[asyncio.Task[None]] = set()
        self._orchestrator_threads = ThreadPoolExecutor(max_orchestrators, thread_name_prefix="durable-orchestrator")
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the store, resume whatever was in flight, and start the dispatcher and timers."""
        self._store = Store(self._path)
        self._recover()
        self._tasks = [
            asyncio.create_task(self._dispatch_loop(), name="durable-dispatch"),
            asyncio.create_task(self.timers.run(), name="durable-timers"),
        ]
        self.clock.attach(self.run_until_idle)
        self.live.wake.set()

    async def stop(self) -> None:
        """Stop dispatching; let running activities finish (their results are kept); close."""
        self.clock.detach(self.run_until_idle)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._episodes:
            await asyncio.wait(self._episodes, timeout=10)
        await self.activities.stop()
        self._orchestrator_threads.shutdown(wait=True)
        await _close_sdk_client_session()
        if self._store is not None:
            self._store.close()
            self._store = None

    def _open_store(self) -> Store:
        if self._store is None:
            raise RuntimeError("DurableEngine.start() has not been awaited")
        return self._store

    @property
    def store(self) -> Store:
        """The open store (raises before `start`)."""
        return self._open_store()

    def client_binding(self, base_url: str, task_hub: str | None = None) -> str:
        """The `durableClient` binding value for functions served at `base_url` (scheme://host:port).

        A binding may name another task hub; this engine serves one, so the name is only echoed.
        """
        from devstack.durable.api import client_binding

        return client_binding(task_hub or self.task_hub, base_url)

    def routes(self) -> list[BaseRoute]:
        """The management API (`/runtime/webhooks/durabletask/...`) as Starlette routes."""
        from devstack.durable.api import management_routes

        return management_routes(self.client, self.task_hub)

    # -- test helpers ----------------------------------------------------------------------------

    def is_idle(self) -> bool:
        """Nothing runnable right now (future timers and suspended instances do not count)."""
        if self.live.has_ready() or self._busy or self._deferred or self.activities.busy():
            return False
        due = self.timers.next_due()
        return due is None or due > self.clock.now()

    def next_timer_at(self) -> datetime | None:
        """When the earliest durable timer fires (for drivers stepping a virtual clock), or None."""
        return self.timers.next_due()

    # How long the virtual clock waits for the engine to go idle before it calls it a hang (seconds of
    # real time at one virtual instant; a benchmark with thousands of calls due at once raises it).
    idle_timeout = 30.0

    async def run_until_idle(self, timeout: float | None = None) -> None:
        """Wait until `is_idle()`; raise TimeoutError after `timeout` seconds (default `idle_timeout`)."""
        async with asyncio.timeout(timeout or self.idle_timeout):
            while True:
                self.live.changed.clear()
                await asyncio.sleep(0)
                if self.is_idle():
                    return
                await self.live.changed.wait()

    async def wait_for(self, instance_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until an instance is completed, failed or terminated; return its status payload."""
        async with asyncio.timeout(timeout):
            while True:
                instance = self.live.get(instance_id)
                if instance is None:
                    status = await self.client.get_status(instance_id)
                    if status is None:
                        raise EngineErrors.not_found(instance_id)
                    if status["runtimeStatus"] in TERMINAL:
                        return status
                    await asyncio.sleep(0.01)
                    continue
                future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                instance.waiters.append(future)
                await future

    # -- recovery --------------------------------------------------------------------------------

    def _recover(self) -> None:
        store = self.store
        for row in store.active_instances([s.value for s in TERMINAL]):
            loaded = Instance.from_row(row, store.load_history(row["instance_id"]))
            self.live.by_id[loaded.instance_id] = loaded
        for message in store.all_messages():
            owner = self.live.get(message.instance_id)
            if owner is None:
                store.delete_messages([message.id])
                continue
            owner.inbox.append(message)
            self.live.mark_ready(owner.instance_id)
        for timer in store.all_timers():
            instance = self.live.get(timer.instance_id)
            if instance is None or instance.execution_id != timer.execution_id:
                store.delete_timer(timer.id)
                continue
            self.timers.track(instance, timer.timer_id, timer.id, h.parse_time(timer.fire_at))
        for activity in store.all_activities():
            instance = self.live.get(activity.instance_id)
            if instance is None or instance.execution_id != activity.execution_id:
                store.delete_activity(activity.id)
                continue
            log.info("resuming activity %s of instance %s after restart", activity.name, activity.instance_id)
            self.activities.launch(activity)

    # -- dispatcher ------------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        while True:
            await self.live.wake.wait()
            self.live.wake.clear()
            # Each ready id is processed once per pass, in arrival order, up to the episode limit.
            while batch := self.live.take_ready():
                for instance_id in batch:
                    self.live.unready(instance_id)
                    if instance_id in self._busy:
                        self._deferred.add(instance_id)
                        continue
                    if self.live.get(instance_id) is None:
                        continue
                    self._busy.add(instance_id)  # before waiting for a slot, so `is_idle` stays false
                    await self._episode_slots.acquire()
                    # Looked up after the wait: the instance may have finished (or been replaced) meanwhile.
                    instance = self.live.get(instance_id)
                    if instance is None:
                        self._busy.discard(instance_id)
                        self._deferred.discard(instance_id)
                        self._episode_slots.release()
                        self.live.changed.set()
                        continue
                    task = asyncio.create_task(self._guarded_process(instance), name=f"episode:{instance_id}")
                    self._episodes.add(task)
                    task.add_done_callback(self._episodes.discard)

    async def _guarded_process(self, instance: Instance) -> None:
        try:
            await self._process(instance)
        except Exception:
            log.exception("durable engine failed processing instance %s", instance.instance_id)
        finally:
            self._busy.discard(instance.instance_id)
            self._episode_slots.release()
            if instance.instance_id in self._deferred:
                self._deferred.discard(instance.instance_id)
                self.live.mark_ready(instance.instance_id)
            self.live.changed.set()

    async def _process(self, instance: Instance) -> None:
        """Handle control messages, then run one episode over the next batch of events."""
        while True:
            control = self._next_control(instance)
            if control is None:
                break
            self._apply_control(instance, control)
            if instance.is_terminal:
                return
        if instance.status == RuntimeStatus.SUSPENDED or not instance.inbox:
            return
        batch, consumed, dropped = self._take_batch(instance)
        if not batch:
            if dropped:
                with self.store.transaction():
                    self.store.delete_messages(dropped)
            return
        await self._run_episode(instance, batch, consumed + dropped)
        if instance.inbox and not instance.is_terminal:
            self.live.mark_ready(instance.instance_id)

    def _next_control(self, instance: Instance) -> Message | None:
        # Terminate/suspend/resume act in arrival order, except that a suspended instance must see
        # its resume or terminate even though events queued before it are being held.
        for message in instance.inbox:
            if message.kind != "event":
                instance.inbox.remove(message)
                return message
            if instance.status != RuntimeStatus.SUSPENDED:
                return None
        return None

    def _take_batch(self, instance: Instance) -> tuple[list[h.Event], list[int], list[int]]:
        batch: list[h.Event] = []
        consumed: list[int] = []
        dropped: list[int] = []
        has_completion = False
        while instance.inbox and len(batch) < self._max_batch:
            message = instance.inbox[0]
            if message.kind != "event":
                break
            event = message.body["event"]
            target = message.body.get("execution_id")
            if target is not None and target != instance.execution_id:
                instance.inbox.popleft()
                dropped.append(message.id)  # meant for an earlier generation: DTFx discards it too
                continue
            kind = event["EventType"]
            if kind == h.EventType.EXECUTION_STARTED and instance.events:
                break
            # A retry event must lead its episode (replay.py explains the sequence numbers).
            if has_completion and is_retry_event(instance.ledger, event):
                break
            instance.inbox.popleft()
            batch.append(event)
            consumed.append(message.id)
            has_completion = has_completion or kind in h.COMPLETION_TYPES
        return batch, consumed, dropped

    # -- episodes --------------------------------------------------------------------------------

    async def _run_episode(self, instance: Instance, batch: list[h.Event], consumed: list[int]) -> None:
        now = self.clock.now()
        new_events = [h.orchestrator_started(now), *batch]
        handler = self.functions.orchestrators.get(instance.name)
        result = None
        error: str | None = None
        if handler is None:
            error = f"The function '{instance.name}' doesn't exist, is disabled, or is not an orchestrator function."
        else:
            body = self._context_body(instance, new_events)
            loop = asyncio.get_running_loop()
            text, exc = await loop.run_in_executor(self._orchestrator_threads, _invoke, handler, body)
            if exc is not None:
                error, result = parse_failure(exc)
            else:
                try:
                    result = parse_state(text or "")
                except ProtocolError as bad:
                    error = str(bad)
        decision = decide(
            instance.ledger,
            name=instance.name,
            instance_id=instance.instance_id,
            execution_id=instance.execution_id,
            batch=batch,
            result=result,
            error=error,
            now=now,
        )
        self._commit(instance, new_events, decision, consumed, now)

    def _context_body(self, instance: Instance, new_events: list[h.Event]) -> str:
        parts = instance.event_json + [json.dumps(event) for event in new_events]
        parent = instance.parent["instance_id"] if instance.parent else None
        return (
            '{"history":['
            + ",".join(parts)
            + '],"input":'
            + (instance.input_json or "null")
            + f',"instanceId":{json.dumps(instance.instance_id)},"isReplaying":{json.dumps(bool(instance.events))}'
            + f',"parentInstanceId":{json.dumps(parent)},'
            + _CONTEXT_SETTINGS
            + "}"
        )

    def _commit(
        self, instance: Instance, new_events: list[h.Event], decision: Decision, consumed: list[int], now: datetime
    ) -> None:
        store = self.store
        appended = new_events + decision.scheduled
        if decision.outcome == Outcome.COMPLETED:
            appended.append(h.execution_completed(now, h.OrchestrationStatus.COMPLETED, decision.output_json))
        elif decision.outcome == Outcome.FAILED:
            appended.append(
                h.execution_completed(now, h.OrchestrationStatus.FAILED, decision.output_json, decision.failure_details)
            )
        elif decision.outcome == Outcome.CONTINUED_AS_NEW:
            appended.append(h.continue_as_new(now, decision.output_json))
        appended.append(h.orchestrator_completed(now))
        for event in appended:
            event["IsPlayed"] = True
        serialized = [json.dumps(event) for event in appended]
        if decision.custom_status_json is not None:
            instance.custom_status_json = decision.custom_status_json
        instance.last_updated_time = now
        started_activities: list[ActivityRow] = []
        with store.transaction():
            store.delete_messages(consumed)
            if decision.outcome is None:
                instance.status = RuntimeStatus.RUNNING
                store.append_history(instance.instance_id, len(instance.events), serialized)
                instance.events.extend(appended)
                instance.event_json.extend(serialized)
                for timer_id in decision.canceled_timers:
                    if (row_id := instance.timers.pop(timer_id, None)) is not None:
                        store.delete_timer(row_id)
                        self.timers.cancel(row_id)
                for work in decision.activities:
                    row_id = store.add_activity(
                        instance.instance_id, instance.execution_id, work.task_id, work.name, work.input_json
                    )
                    started_activities.append(
                        ActivityRow(
                            row_id,
                            instance.instance_id,
                            instance.execution_id,
                            work.task_id,
                            work.name,
                            work.input_json,
                        )
                    )
                for timer in decision.timers:
                    row_id = store.add_timer(
                        instance.instance_id, instance.execution_id, timer.timer_id, h.format_time(timer.fire_at)
                    )
                    self.timers.track(instance, timer.timer_id, row_id, timer.fire_at)
                for child in decision.children:
                    self._start_child(instance, child.task_id, child.name, child.instance_id, child.input_json, now)
            elif decision.outcome == Outcome.CONTINUED_AS_NEW:
                self._continue_as_new(instance, batch=new_events[1:], new_input=decision.output_json, now=now)
            else:
                store.append_history(instance.instance_id, len(instance.events), serialized)
                instance.events.extend(appended)
                instance.event_json.extend(serialized)
                status = RuntimeStatus.COMPLETED if decision.outcome == Outcome.COMPLETED else RuntimeStatus.FAILED
                self._finish(instance, status, decision.output_json, decision.failure_details, now)
            store.upsert_instance(instance.row())
        for activity in started_activities:
            self.activities.launch(activity)
        if instance.is_terminal:
            self.live.retire(instance)

    def _continue_as_new(
        self, instance: Instance, *, batch: list[h.Event], new_input: str | None, now: datetime
    ) -> None:
        """Start the next generation; external events this one never consumed are carried over."""
        store = self.store
        store.clear_history(instance.instance_id)
        store.delete_instance_work(instance.instance_id)
        self.timers.forget(instance)
        # preserveUnprocessedEvents is false for Python, so events delivered in earlier episodes and
        # never awaited are dropped; events of this last batch that no wait consumed carry over
        # (DTFx's AddEventToNextIteration), as do messages still queued.
        waits = Counter(s.name for s in instance.ledger.slots if s.task_id is None and s.name is not None)
        raised = [e for e in instance.events + batch if e["EventType"] == h.EventType.EVENT_RAISED]
        counts = Counter(e["Name"] for e in raised)
        taken: Counter[str] = Counter()
        carried: list[h.Event] = []
        for event in reversed(raised):
            name = event["Name"]
            if taken[name] < counts[name] - waits[name]:
                taken[name] += 1
                if any(event is fresh for fresh in batch):
                    carried.insert(0, event)
        instance.execution_id = uuid.uuid4().hex
        instance.status = RuntimeStatus.CONTINUED_AS_NEW
        instance.input_json = new_input
        instance.ledger = Ledger()
        instance.events = []
        instance.event_json = []
        started = h.execution_started(
            now,
            name=instance.name,
            instance_id=instance.instance_id,
            execution_id=instance.execution_id,
            input_json=new_input,
            parent=parent_ref(instance.parent),
        )
        front = [self.live.message(instance, started, execution_id=instance.execution_id)]
        front += [self.live.message(instance, dict(e, IsPlayed=False), execution_id=None) for e in carried]
        for message in reversed(front):
            instance.inbox.appendleft(message)
        self.live.mark_ready(instance.instance_id)

    def _finish(
        self, instance: Instance, status: RuntimeStatus, output_json: str | None, details: str | None, now: datetime
    ) -> None:
        """Enter a terminal status; tell a parent orchestration (inside the caller's transaction)."""
        instance.status = status
        instance.output_json = output_json
        instance.failure_details = details
        instance.last_updated_time = now
        self.store.delete_instance_work(instance.instance_id)
        self.timers.forget(instance)
        parent = instance.parent
        if parent is None:
            return
        if status == RuntimeStatus.COMPLETED:
            event = h.sub_orchestration_completed(now, parent["task_id"], output_json)
        else:
            reason = json.loads(output_json) if output_json else f"Sub-orchestration {status.value.lower()}"
            event = h.sub_orchestration_failed(now, parent["task_id"], str(reason), details)
        self.live.deliver(parent["instance_id"], event, execution_id=parent["execution_id"])

    def _start_child(
        self, parent: Instance, task_id: int, name: str, child_id: str, input_json: str | None, now: datetime
    ) -> None:
        existing = self.live.get(child_id)
        if existing is not None and not existing.is_terminal:
            event = h.sub_orchestration_failed(
                now, task_id, f"An orchestration with instance ID '{child_id}' already exists and is running.", None
            )
            parent.inbox.append(self.live.message(parent, event, execution_id=parent.execution_id))
            self.live.mark_ready(parent.instance_id)
            return
        ref = {"instance_id": parent.instance_id, "execution_id": parent.execution_id, "task_id": task_id}
        self.live.create(child_id, name, input_json, now, parent=ref)

    # -- control messages ------------------------------------------------------------------------

    def _apply_control(self, instance: Instance, message: Message) -> None:
        now = self.clock.now()
        reason = message.body.get("reason")
        store = self.store
        with store.transaction():
            store.delete_messages([message.id])
            if message.kind == "terminate":
                events = [h.execution_terminated(now, reason)]
            elif message.kind == "suspend" and instance.status != RuntimeStatus.SUSPENDED:
                events = [h.execution_suspended(now, reason)]
            elif message.kind == "resume" and instance.status == RuntimeStatus.SUSPENDED:
                events = [h.execution_resumed(now, reason)]
            else:
                return
            if instance.events:  # before ExecutionStarted there is no episode to record it in
                appended = [h.orchestrator_started(now), *events, h.orchestrator_completed(now)]
                for event in appended:
                    event["IsPlayed"] = True
                serialized = [json.dumps(e) for e in appended]
                store.append_history(instance.instance_id, len(instance.events), serialized)
                instance.events.extend(appended)
                instance.event_json.extend(serialized)
            instance.last_updated_time = now
            if message.kind == "terminate":
                for queued in instance.inbox:
                    store.delete_messages([queued.id])
                instance.inbox.clear()
                self._finish(instance, RuntimeStatus.TERMINATED, json.dumps(reason), None, now)
            elif message.kind == "suspend":
                instance.status = RuntimeStatus.SUSPENDED
            else:
                instance.status = RuntimeStatus.RUNNING if instance.events else RuntimeStatus.PENDING
            store.upsert_instance(instance.row())
        if instance.is_terminal:
            self.live.retire(instance)


def _invoke(handler: Any, body: str) -> tuple[str | None, BaseException | None]:
    """Call the SDK's orchestrator handler (runs on the orchestrator thread)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_BUFFERED_EVENT_WARNING, category=UserWarning)
        try:
            return handler(OrchestrationContextBody(body)), None
        except Exception as exc:
            return None, exc


async def _close_sdk_client_session() -> None:
    # The SDK's client keeps one module-level aiohttp session bound to the loop that created it
    # (this engine's). Close it with the engine so a later host on another loop starts afresh.
    from azure.durable_functions.models.utils import http_utils

    await http_utils._close_session()


__all__ = ["DurableEngine", "failure_message"]

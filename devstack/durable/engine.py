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
import itertools
import json
import logging
import uuid
import warnings
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
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
from devstack.durable.management import EngineErrors, ManagementMixin
from devstack.durable.replay import Decision, Ledger, Outcome, decide, failure_message, is_retry_event
from devstack.durable.store import ActivityRow, Message, Store
from devstack.durable.work import WorkMixin

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


class DurableEngine(ManagementMixin, WorkMixin):
    """Run the orchestrations and activities among `functions` (from `app.get_functions()`)."""

    def __init__(
        self,
        functions: Iterable[Any],
        data_dir: Path,
        clock: Clock | None = None,
        task_hub: str = "TestHubName",
        *,
        max_activities: int = 32,
        max_batch: int = 500,
        fast_timestamps: bool = True,
    ) -> None:
        self.functions = DurableFunctions.from_app(functions)
        if fast_timestamps:
            use_fast_timestamp_parsing()
        self.clock: Clock = clock or RealClock()
        self.task_hub = task_hub
        self._path = Path(data_dir) / f"{task_hub}.sqlite3"
        self._max_batch = max_batch
        self._store: Store | None = None
        # Live (non-terminal) instances; terminal ones are read from the store on demand.
        self._instances: dict[str, Instance] = {}
        self._ready: set[str] = set()
        self._ready_order: list[str] = []
        self._busy: str | None = None
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        # Pending timers: (fire_at, tie, store row id); row id -> (instance, execution, timer id).
        self._timer_heap: list[tuple[datetime, int, int]] = []
        self._timer_rows: dict[int, tuple[str, str, int]] = {}
        self._timer_wake = asyncio.Event()
        self._tie = itertools.count()
        self._activity_tasks: set[asyncio.Task[None]] = set()
        self._activity_slots = asyncio.Semaphore(max_activities)
        self._orchestrator_thread = ThreadPoolExecutor(1, thread_name_prefix="durable-orchestrator")
        self._activity_threads = ThreadPoolExecutor(max_activities, thread_name_prefix="durable-activity")
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the store, resume whatever was in flight, and start the dispatcher and timers."""
        self._store = Store(self._path)
        self._recover()
        self._tasks = [
            asyncio.create_task(self._dispatch_loop(), name="durable-dispatch"),
            asyncio.create_task(self._timer_loop(), name="durable-timers"),
        ]
        self.clock.attach(self.run_until_idle)
        self._wake.set()

    async def stop(self) -> None:
        """Stop dispatching; let running activities finish (their results are kept); close."""
        self.clock.detach(self.run_until_idle)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._activity_tasks:
            await asyncio.wait(self._activity_tasks, timeout=10)
        for task in list(self._activity_tasks):
            task.cancel()
        self._orchestrator_thread.shutdown(wait=True)
        await _close_sdk_client_session()
        self._activity_threads.shutdown(wait=False, cancel_futures=True)
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("DurableEngine.start() has not been awaited")
        return self._store

    def client_binding(self, base_url: str, task_hub: str | None = None) -> str:
        """The `durableClient` binding value for functions served at `base_url` (scheme://host:port).

        A binding may name another task hub; this engine serves one, so the name is only echoed.
        """
        from devstack.durable.api import client_binding

        return client_binding(task_hub or self.task_hub, base_url)

    def routes(self) -> list[BaseRoute]:
        """The management API (`/runtime/webhooks/durabletask/...`) as Starlette routes."""
        from devstack.durable.api import management_routes

        return management_routes(self)

    # -- test helpers ----------------------------------------------------------------------------

    def is_idle(self) -> bool:
        """Nothing runnable right now (future timers and suspended instances do not count)."""
        if self._ready or self._busy is not None or self._activity_tasks:
            return False
        self._drop_stale_timers()
        return not self._timer_heap or self._timer_heap[0][0] > self.clock.now()

    # How long the virtual clock waits for the engine to go idle before it calls it a hang (seconds of
    # real time at one virtual instant; a benchmark with thousands of calls due at once raises it).
    idle_timeout = 30.0

    async def run_until_idle(self, timeout: float | None = None) -> None:
        """Wait until `is_idle()`; raise TimeoutError after `timeout` seconds (default `idle_timeout`)."""
        async with asyncio.timeout(timeout or self.idle_timeout):
            while True:
                self._changed.clear()
                await asyncio.sleep(0)
                if self.is_idle():
                    return
                await self._changed.wait()

    async def wait_for(self, instance_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until an instance is completed, failed or terminated; return its status payload."""
        async with asyncio.timeout(timeout):
            while True:
                instance = self._instances.get(instance_id)
                if instance is None:
                    status = await self.get_status(instance_id)
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
            instance = Instance.from_row(row, store.load_history(row["instance_id"]))
            self._instances[instance.instance_id] = instance
        for message in store.all_messages():
            instance = self._instances.get(message.instance_id)
            if instance is None:
                store.delete_messages([message.id])
                continue
            instance.inbox.append(message)
            self._mark_ready(instance.instance_id)
        for timer in store.all_timers():
            instance = self._instances.get(timer.instance_id)
            if instance is None or instance.execution_id != timer.execution_id:
                store.delete_timer(timer.id)
                continue
            self._track_timer(instance, timer.timer_id, timer.id, h.parse_time(timer.fire_at))
        for activity in store.all_activities():
            instance = self._instances.get(activity.instance_id)
            if instance is None or instance.execution_id != activity.execution_id:
                store.delete_activity(activity.id)
                continue
            log.info("resuming activity %s of instance %s after restart", activity.name, activity.instance_id)
            self._launch_activity(activity)

    # -- dispatcher ------------------------------------------------------------------------------

    def _mark_ready(self, instance_id: str) -> None:
        if instance_id not in self._ready:
            self._ready.add(instance_id)
            self._ready_order.append(instance_id)
        self._wake.set()
        self._changed.set()

    async def _dispatch_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._ready_order:
                # Take a batch of ready ids; each is processed once per pass, in arrival order.
                batch, self._ready_order = self._ready_order, []
                for instance_id in batch:
                    self._ready.discard(instance_id)
                    instance = self._instances.get(instance_id)
                    if instance is None:
                        continue
                    self._busy = instance_id
                    try:
                        await self._process(instance)
                    except Exception:
                        log.exception("durable engine failed processing instance %s", instance_id)
                    finally:
                        self._busy = None
                        self._changed.set()

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
            self._mark_ready(instance.instance_id)

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
            text, exc = await loop.run_in_executor(self._orchestrator_thread, _invoke, handler, body)
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
                        self._timer_rows.pop(row_id, None)
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
                    self._track_timer(instance, timer.timer_id, row_id, timer.fire_at)
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
            self._launch_activity(activity)
        if instance.is_terminal:
            self._retire(instance)

    def _continue_as_new(
        self, instance: Instance, *, batch: list[h.Event], new_input: str | None, now: datetime
    ) -> None:
        """Start the next generation; external events this one never consumed are carried over."""
        store = self.store
        store.clear_history(instance.instance_id)
        store.delete_instance_work(instance.instance_id)
        self._forget_timers(instance)
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
            parent=_parent_ref(instance.parent),
        )
        front = [self._message(instance, started, execution_id=instance.execution_id)]
        front += [self._message(instance, dict(e, IsPlayed=False), execution_id=None) for e in carried]
        for message in reversed(front):
            instance.inbox.appendleft(message)
        self._mark_ready(instance.instance_id)

    def _message(self, instance: Instance, event: h.Event, *, execution_id: str | None) -> Message:
        body = {"execution_id": execution_id, "event": event}
        return Message(self.store.add_message(instance.instance_id, "event", body), instance.instance_id, "event", body)

    def _finish(
        self, instance: Instance, status: RuntimeStatus, output_json: str | None, details: str | None, now: datetime
    ) -> None:
        """Enter a terminal status; tell a parent orchestration (inside the caller's transaction)."""
        instance.status = status
        instance.output_json = output_json
        instance.failure_details = details
        instance.last_updated_time = now
        self.store.delete_instance_work(instance.instance_id)
        self._forget_timers(instance)
        parent = instance.parent
        if parent is None:
            return
        if status == RuntimeStatus.COMPLETED:
            event = h.sub_orchestration_completed(now, parent["task_id"], output_json)
        else:
            reason = json.loads(output_json) if output_json else f"Sub-orchestration {status.value.lower()}"
            event = h.sub_orchestration_failed(now, parent["task_id"], str(reason), details)
        self._deliver(parent["instance_id"], event, execution_id=parent["execution_id"])

    def _retire(self, instance: Instance) -> None:
        for waiter in instance.waiters:
            if not waiter.done():
                waiter.set_result(None)
        instance.waiters.clear()
        self._instances.pop(instance.instance_id, None)
        self._changed.set()

    def _deliver(self, instance_id: str, event: h.Event, *, execution_id: str | None) -> bool:
        """Queue an event for a live instance (inside the caller's transaction); False if gone."""
        instance = self._instances.get(instance_id)
        if instance is None or instance.is_terminal:
            return False
        if execution_id is not None and execution_id != instance.execution_id:
            return False
        instance.inbox.append(self._message(instance, event, execution_id=execution_id))
        self._mark_ready(instance_id)
        return True

    def _start_child(
        self, parent: Instance, task_id: int, name: str, child_id: str, input_json: str | None, now: datetime
    ) -> None:
        existing = self._instances.get(child_id)
        if existing is not None and not existing.is_terminal:
            event = h.sub_orchestration_failed(
                now, task_id, f"An orchestration with instance ID '{child_id}' already exists and is running.", None
            )
            parent.inbox.append(self._message(parent, event, execution_id=parent.execution_id))
            self._mark_ready(parent.instance_id)
            return
        ref = {"instance_id": parent.instance_id, "execution_id": parent.execution_id, "task_id": task_id}
        self._create_instance(child_id, name, input_json, now, parent=ref)

    def _create_instance(
        self, instance_id: str, name: str, input_json: str | None, now: datetime, parent: dict[str, Any] | None
    ) -> Instance:
        """Create (or replace a finished) instance with its ExecutionStarted message; in a transaction."""
        store = self.store
        store.delete_instances([instance_id])
        instance = Instance(
            instance_id=instance_id,
            name=name,
            execution_id=uuid.uuid4().hex,
            status=RuntimeStatus.PENDING,
            input_json=input_json,
            created_time=now,
            last_updated_time=now,
            parent=parent,
        )
        store.upsert_instance(instance.row())
        started = h.execution_started(
            now,
            name=name,
            instance_id=instance_id,
            execution_id=instance.execution_id,
            input_json=input_json,
            parent=_parent_ref(parent),
        )
        self._instances[instance_id] = instance
        instance.inbox.append(self._message(instance, started, execution_id=instance.execution_id))
        self._mark_ready(instance_id)
        return instance

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
            self._retire(instance)


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


def _parent_ref(parent: dict[str, Any] | None) -> dict[str, Any] | None:
    if parent is None:
        return None
    return {
        "Name": None,
        "OrchestrationInstance": {"InstanceId": parent["instance_id"], "ExecutionId": parent["execution_id"]},
        "TaskScheduleId": parent["task_id"],
    }


__all__ = ["DurableEngine", "failure_message"]

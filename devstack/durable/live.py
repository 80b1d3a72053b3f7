"""The engine's live instances and their ready queue: the one part every other part talks to.

Activities, timers and management requests never touch an orchestration directly; they queue a
message for it here (`deliver`, `control`), which makes it ready, and the dispatcher runs it.
Terminal instances leave this table (`retire`) and are read from the store on demand.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from devstack.durable import history as h
from devstack.durable.instance import Instance, RuntimeStatus
from devstack.durable.store import Message, Store

StoreRef = Callable[[], Store]
"""Returns the open store (raises before the engine has started)."""


class LiveInstances:
    """Non-terminal instances by id, the order they became ready in, and the engine's wake-up signals."""

    def __init__(self, store: StoreRef) -> None:
        self._store = store
        self.by_id: dict[str, Instance] = {}  # every non-terminal instance, loaded at start
        self._ready: set[str] = set()  # ids with something to process (mirrors `_ready_order`)
        self._ready_order: list[str] = []  # the same ids, in the order they became ready
        self.wake = asyncio.Event()  # set when an id becomes ready: the dispatcher wakes
        self.changed = asyncio.Event()  # set on any progress: `run_until_idle` re-checks

    def get(self, instance_id: str) -> Instance | None:
        """The live instance, or None when it is finished or unknown."""
        return self.by_id.get(instance_id)

    def has_ready(self) -> bool:
        """Whether any instance is waiting for the dispatcher."""
        return bool(self._ready)

    def mark_ready(self, instance_id: str) -> None:
        """Queue an instance for the dispatcher (once, however often it is marked)."""
        if instance_id not in self._ready:
            self._ready.add(instance_id)
            self._ready_order.append(instance_id)
        self.wake.set()
        self.changed.set()

    def take_ready(self) -> list[str]:
        """The ready ids in arrival order; the queue starts afresh (ids stay ready until `unready`)."""
        batch, self._ready_order = self._ready_order, []
        return batch

    def unready(self, instance_id: str) -> None:
        """The dispatcher has picked the instance up."""
        self._ready.discard(instance_id)

    def message(self, instance: Instance, event: h.Event, *, execution_id: str | None) -> Message:
        """Store an event message for `instance` (inside the caller's transaction) and return it."""
        body = {"execution_id": execution_id, "event": event}
        row_id = self._store().add_message(instance.instance_id, "event", body)
        return Message(row_id, instance.instance_id, "event", body)

    def deliver(self, instance_id: str, event: h.Event, *, execution_id: str | None) -> bool:
        """Queue an event for a live instance (inside the caller's transaction); False if gone."""
        instance = self.by_id.get(instance_id)
        if instance is None or instance.is_terminal:
            return False
        if execution_id is not None and execution_id != instance.execution_id:
            return False
        instance.inbox.append(self.message(instance, event, execution_id=execution_id))
        self.mark_ready(instance_id)
        return True

    def control(self, instance: Instance, kind: str, reason: str | None) -> None:
        """Queue a terminate / suspend / resume message (its own transaction)."""
        store = self._store()
        body = {"reason": reason}
        with store.transaction():
            message = Message(store.add_message(instance.instance_id, kind, body), instance.instance_id, kind, body)
        instance.inbox.append(message)
        self.mark_ready(instance.instance_id)

    def create(
        self, instance_id: str, name: str, input_json: str | None, now: datetime, parent: dict[str, Any] | None
    ) -> Instance:
        """Create (or replace a finished) instance with its ExecutionStarted message; in a transaction."""
        store = self._store()
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
            parent=parent_ref(parent),
        )
        self.by_id[instance_id] = instance
        instance.inbox.append(self.message(instance, started, execution_id=instance.execution_id))
        self.mark_ready(instance_id)
        return instance

    def retire(self, instance: Instance) -> None:
        """Drop a terminal instance from memory and wake whoever waits for it."""
        for waiter in instance.waiters:
            if not waiter.done():
                waiter.set_result(None)
        instance.waiters.clear()
        self.by_id.pop(instance.instance_id, None)
        self.changed.set()


def parent_ref(parent: dict[str, Any] | None) -> dict[str, Any] | None:
    """ExecutionStarted.ParentInstance for a sub-orchestration's parent reference."""
    if parent is None:
        return None
    return {
        "Name": None,
        "OrchestrationInstance": {"InstanceId": parent["instance_id"], "ExecutionId": parent["execution_id"]},
        "TaskScheduleId": parent["task_id"],
    }

"""Instance management: what the extension's HTTP API does, as engine methods.

Status codes and rules follow the extension's `HttpApiHandler`: a duplicate start of a live
instance is a conflict, operations on finished instances are "gone" (410), purge only removes
finished instances, raising an event needs `application/json`. `api.py` maps these to HTTP.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from devstack.durable import history as h
from devstack.durable.clock import Clock
from devstack.durable.functions import FunctionTable
from devstack.durable.instance import TERMINAL, Instance, RuntimeStatus, status_payload
from devstack.durable.live import LiveInstances, StoreRef

# The extension's default page size for instance queries (OrchestrationStatusQueryCondition).
DEFAULT_PAGE_SIZE = 100
_LIVE_STATES = (RuntimeStatus.PENDING, RuntimeStatus.RUNNING, RuntimeStatus.SUSPENDED, RuntimeStatus.CONTINUED_AS_NEW)


class EngineError(Exception):
    """A management request the engine refuses, with the HTTP status the extension would use."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class EngineErrors:
    """Named constructors for the refusals."""

    @staticmethod
    def not_found(instance_id: str) -> EngineError:
        return EngineError(404, "instance_not_found", f"No instance with ID '{instance_id}' found.")

    @staticmethod
    def gone(instance_id: str, status: str) -> EngineError:
        return EngineError(410, "instance_finished", f"Instance '{instance_id}' has already finished ({status}).")

    @staticmethod
    def conflict(instance_id: str, status: str) -> EngineError:
        return EngineError(
            409,
            "instance_exists",
            f"An Orchestration instance with the status {status} already exists: '{instance_id}'.",
        )

    @staticmethod
    def bad_request(code: str, message: str) -> EngineError:
        return EngineError(400, code, message)


class InstanceClient:
    """Client operations on the engine's instances (start, status, query, events, terminate, purge...)."""

    def __init__(self, orchestrators: FunctionTable[Any], store: StoreRef, clock: Clock, live: LiveInstances) -> None:
        self._orchestrators = orchestrators
        self._store = store
        self._clock = clock
        self._live = live

    async def start_new(self, name: str, instance_id: str | None = None, input_json: str | None = None) -> str:
        """Start an orchestration; `input_json` becomes ExecutionStarted.Input verbatim."""
        if name not in self._orchestrators:
            raise EngineErrors.bad_request(
                "orchestrator_not_found",
                f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function. "
                f"Additional info: known orchestrators are {self._orchestrators.names()}.",
            )
        instance_id = instance_id or uuid.uuid4().hex
        if not instance_id or "/" in instance_id or len(instance_id) > 256:
            raise EngineErrors.bad_request("invalid_instance_id", "Instance IDs must be 1-256 characters, no '/'.")
        current = self._live_status(instance_id)
        if current in _LIVE_STATES:
            raise EngineErrors.conflict(instance_id, current.value)
        with self._store().transaction():
            self._live.create(instance_id, name, input_json, self._clock.now(), parent=None)
        return instance_id

    async def get_status(
        self,
        instance_id: str,
        *,
        show_history: bool = False,
        show_history_output: bool = False,
        show_input: bool = True,
    ) -> dict[str, Any] | None:
        """The status payload of one instance, or None."""
        instance = self._live.get(instance_id)
        if instance is not None:
            events = instance.events if show_history else None
            return status_payload(
                instance.row(), events, show_input=show_input, show_history_output=show_history_output
            )
        row = self._store().get_instance(instance_id)
        if row is None:
            return None
        events = [json.loads(text) for text in self._store().load_history(instance_id)] if show_history else None
        return status_payload(row, events, show_input=show_input, show_history_output=show_history_output)

    async def query(
        self,
        *,
        statuses: Sequence[str] = (),
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        prefix: str | None = None,
        show_input: bool = False,
        top: int | None = None,
        token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of instances, oldest first, with the continuation token of the next page."""
        page = top if top and top > 0 else DEFAULT_PAGE_SIZE
        rows = self._store().query_instances(
            statuses=statuses,
            created_from=h.format_time(created_from) if created_from else None,
            created_to=h.format_time(created_to) if created_to else None,
            prefix=prefix,
            after=_decode_token(token),
            limit=page + 1,
        )
        more = len(rows) > page
        rows = rows[:page]
        next_token = _encode_token(rows[-1]) if more else None
        return [status_payload(row, show_input=show_input) for row in rows], next_token

    async def raise_event(self, instance_id: str, name: str, data_json: str | None) -> None:
        """Queue an external event; it waits in history until the orchestrator asks for it."""
        if not name:
            raise EngineErrors.bad_request("invalid_event_name", "The event name must not be empty.")
        instance = self._require_live(instance_id)
        with self._store().transaction():
            self._live.deliver(
                instance.instance_id, h.event_raised(self._clock.now(), name, data_json), execution_id=None
            )

    async def terminate(self, instance_id: str, reason: str | None) -> None:
        """Terminate a live instance."""
        self._control(self._require_live(instance_id), "terminate", reason)

    async def suspend(self, instance_id: str, reason: str | None) -> None:
        """Suspend a live instance: its events wait until it is resumed."""
        self._control(self._require_live(instance_id), "suspend", reason)

    async def resume(self, instance_id: str, reason: str | None) -> None:
        """Resume a suspended instance."""
        self._control(self._require_live(instance_id), "resume", reason)

    async def restart(self, instance_id: str, new_instance_id: bool = True) -> str:
        """Start the orchestration again with the input it was first started with."""
        live = self._live.get(instance_id)
        source = live.row() if live is not None else self._store().get_instance(instance_id)
        if source is None:
            raise EngineErrors.not_found(instance_id)
        target = uuid.uuid4().hex if new_instance_id else instance_id
        return await self.start_new(source["name"], target, source["input"])

    async def purge(self, instance_id: str) -> int:
        """Delete a finished instance's history and state."""
        current = self._live_status(instance_id)
        if current is None:
            raise EngineErrors.not_found(instance_id)
        if current not in TERMINAL:
            raise EngineError(
                412,
                "instance_running",
                f"Only orchestrations in a terminal state can be purged, but the orchestration with instance "
                f"ID {instance_id} has status {current.value}",
            )
        with self._store().transaction():
            self._store().delete_instances([instance_id])
        return 1

    async def purge_by(self, created_from: datetime, created_to: datetime | None, statuses: Sequence[str]) -> int:
        """Delete finished instances created in a time range (optionally only some statuses)."""
        allowed = [s for s in statuses if s in TERMINAL] if statuses else [s.value for s in TERMINAL]
        if not allowed:
            return 0
        rows = self._store().query_instances(
            statuses=allowed,
            created_from=h.format_time(created_from),
            created_to=h.format_time(created_to or self._clock.now()),
        )
        ids = [row["instance_id"] for row in rows]
        with self._store().transaction():
            self._store().delete_instances(ids)
        return len(ids)

    # -- helpers ---------------------------------------------------------------------------------

    def _live_status(self, instance_id: str) -> RuntimeStatus | None:
        instance = self._live.get(instance_id)
        if instance is not None:
            return instance.status
        row = self._store().get_instance(instance_id)
        return RuntimeStatus(row["status"]) if row else None

    def _require_live(self, instance_id: str) -> Instance:
        instance = self._live.get(instance_id)
        if instance is not None:
            return instance
        current = self._live_status(instance_id)
        if current is None:
            raise EngineErrors.not_found(instance_id)
        raise EngineErrors.gone(instance_id, current.value)

    def _control(self, instance: Instance, kind: str, reason: str | None) -> None:
        self._live.control(instance, kind, reason)


def _encode_token(row: dict[str, Any]) -> str:
    raw = json.dumps([row["created_time"], row["instance_id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str | None) -> tuple[str, str] | None:
    if not token:
        return None
    try:
        created, instance_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(created), str(instance_id)
    except (ValueError, TypeError) as exc:
        raise EngineErrors.bad_request("invalid_continuation_token", "The continuation token is not valid.") from exc

"""Find the durable functions of an app and call them the way the Functions host does.

`app.get_functions()` yields `azure.functions` `Function` objects. For an `orchestrationTrigger`
the user function is the SDK's `Orchestrator.create(fn).handle`, which takes a context object
with a `.body` (the JSON the extension sends) and returns the state JSON. For an `activityTrigger`
it is the plain user function; the host passes the deserialised input as the keyword argument named
by the binding, and serialises the return value with the SDK's `df_dumps` (custom classes travel as
`{"__class__", "__module__", "__data__"}` envelopes, exactly as in Azure).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import json
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from azure.durable_functions.models.utils.df_serialization import df_dumps, df_loads

from devstack.host.timespan import timeout_message

ORCHESTRATION_TRIGGER = "orchestrationTrigger"
ACTIVITY_TRIGGER = "activityTrigger"
DURABLE_CLIENT = "durableClient"


class ActivityError(Exception):
    """An activity failed; `reason` and `details` become the `TaskFailed` event."""

    def __init__(self, reason: str, details: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True, slots=True)
class ActivityFunction:
    """An activity: the user callable and the name of its trigger parameter."""

    name: str
    func: Callable[..., Any]
    input_name: str

    async def invoke(self, input_json: str | None, executor: Executor, timeout: timedelta | None = None) -> str:
        """Run with the decoded input; return the JSON text of the result.

        Raises:
            ActivityError: the function raised, outlived `timeout` (host.json functionTimeout), or
                returned something JSON cannot carry.
        """
        value = _decode_input(input_json)
        try:
            async with asyncio.timeout(timeout.total_seconds() if timeout else None):
                if inspect.iscoroutinefunction(self.func):
                    result = await self.func(**{self.input_name: value})
                else:
                    call = functools.partial(self.func, **{self.input_name: value})
                    result = await asyncio.get_running_loop().run_in_executor(executor, call)
        except TimeoutError as exc:
            message = timeout_message(timeout, self.name)
            raise ActivityError(failed_activity_reason(self.name, message), message) from exc
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            raise ActivityError(failed_activity_reason(self.name, message), message) from exc
        try:
            return str(df_dumps(result))
        except (TypeError, ValueError) as exc:
            message = f"activity trigger output must be json serializable ({result!r})"
            raise ActivityError(failed_activity_reason(self.name, message), str(exc)) from exc


def failed_activity_reason(name: str, message: str) -> str:
    """TaskFailed.Reason as the extension's TaskActivityShim writes it."""
    return f"Activity function '{name}' failed: {message}"


def missing_activity_reason(name: str) -> str:
    """TaskFailed.Reason for an activity nobody declared (the extension's TaskNonexistentActivityShim)."""
    return failed_activity_reason(name, f"Activity function '{name}' does not exist.")


V = TypeVar("V")


class FunctionTable(Generic[V]):
    """Functions by name, looked up case-insensitively as the extension's `FunctionName` compares them."""

    def __init__(self, items: dict[str, V] | None = None) -> None:
        self._items: dict[str, tuple[str, V]] = {}
        for name, value in (items or {}).items():
            self[name] = value

    def __setitem__(self, name: str, value: V) -> None:
        self._items[name.casefold()] = (name, value)

    def get(self, name: str) -> V | None:
        """The function declared under `name` in any letter case, or None."""
        found = self._items.get(name.casefold())
        return found[1] if found else None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._items

    def names(self) -> list[str]:
        """The declared names, sorted, as declared."""
        return sorted(name for name, _ in self._items.values())


@dataclass(frozen=True, slots=True)
class DurableFunctions:
    """The orchestrators and activities of one app, by function name."""

    orchestrators: FunctionTable[Callable[[Any], str]]
    activities: FunctionTable[ActivityFunction]

    @classmethod
    def from_app(cls, functions: Iterable[Any]) -> DurableFunctions:
        """Index the durable triggers among `app.get_functions()`."""
        orchestrators: FunctionTable[Callable[[Any], str]] = FunctionTable()
        activities: FunctionTable[ActivityFunction] = FunctionTable()
        for function in functions:
            trigger = function.get_trigger()
            kind = trigger.get_binding_name() if trigger is not None else None
            name = function.get_function_name()
            if kind == ORCHESTRATION_TRIGGER:
                orchestrators[name] = function.get_user_function()
            elif kind == ACTIVITY_TRIGGER:
                activities[name] = ActivityFunction(name, function.get_user_function(), trigger.name)
        return cls(orchestrators, activities)


def uses_durable(functions: Iterable[Any]) -> bool:
    """Whether any function declares a durable trigger or a durable client binding."""
    kinds = {ORCHESTRATION_TRIGGER, ACTIVITY_TRIGGER, DURABLE_CLIENT}
    return any(binding.get_binding_name() in kinds for function in functions for binding in function.get_bindings())


def _decode_input(input_json: str | None) -> Any:
    # Mirrors azure.functions' ActivityTriggerConverter.decode: JSON if it parses, else the raw text.
    if input_json is None:
        return None
    try:
        return df_loads(input_json)
    except json.JSONDecodeError:
        return input_json


def use_fast_timestamp_parsing() -> None:
    """Let the SDK parse history timestamps with `datetime.fromisoformat` instead of dateutil.

    `HistoryEvent.__init__` parses every event's `Timestamp` with `dateutil.parser.parse` on every
    replay, which is ~85% of a replay's cost (see bench/durable_replay.py). The engine only writes
    `%Y-%m-%dT%H:%M:%S.%fZ` timestamps, which `fromisoformat` parses to the same UTC instant; anything
    else still goes to dateutil. Orchestrator-visible values are equal datetimes (the tzinfo object is
    `datetime.UTC` rather than dateutil's `tzutc()`).
    """
    module = importlib.import_module("azure.durable_functions.models.history.HistoryEvent")
    original = getattr(module, "_dateutil_parse", module.dt_parse)

    def parse(text: str) -> Any:
        try:
            return datetime.fromisoformat(text)
        except (TypeError, ValueError):
            return original(text)

    setattr(module, "_dateutil_parse", original)  # noqa: B010 (an attribute the SDK module does not declare)
    setattr(module, "dt_parse", parse)  # noqa: B010


class OrchestrationContextBody:
    """What the worker passes to an orchestrator: an object whose `.body` is the context JSON."""

    __slots__ = ("body",)

    def __init__(self, body: str) -> None:
        self.body = body

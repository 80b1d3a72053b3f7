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
from datetime import datetime
from typing import Any

from azure.durable_functions.models.utils.df_serialization import df_dumps, df_loads

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

    async def invoke(self, input_json: str | None, executor: Executor) -> str:
        """Run with the decoded input; return the JSON text of the result.

        Raises:
            ActivityError: the function raised, or returned something JSON cannot carry.
        """
        value = _decode_input(input_json)
        try:
            if inspect.iscoroutinefunction(self.func):
                result = await self.func(**{self.input_name: value})
            else:
                call = functools.partial(self.func, **{self.input_name: value})
                result = await asyncio.get_running_loop().run_in_executor(executor, call)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            raise ActivityError(
                f"The activity function '{self.name}' failed: \"{message}\". "
                "See the function execution logs for additional details.",
                message,
            ) from exc
        try:
            return df_dumps(result)
        except (TypeError, ValueError) as exc:
            message = f"activity trigger output must be json serializable ({result!r})"
            raise ActivityError(f"The activity function '{self.name}' failed: \"{message}\".", str(exc)) from exc


@dataclass(frozen=True, slots=True)
class DurableFunctions:
    """The orchestrators and activities of one app, by function name."""

    orchestrators: dict[str, Callable[[Any], str]]
    activities: dict[str, ActivityFunction]

    @classmethod
    def from_app(cls, functions: Iterable[Any]) -> DurableFunctions:
        """Index the durable triggers among `app.get_functions()`."""
        orchestrators: dict[str, Callable[[Any], str]] = {}
        activities: dict[str, ActivityFunction] = {}
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

    module._dateutil_parse = original
    module.dt_parse = parse


class OrchestrationContextBody:
    """What the worker passes to an orchestrator: an object whose `.body` is the context JSON."""

    __slots__ = ("body",)

    def __init__(self, body: str) -> None:
        self.body = body

"""Load an app folder's `function_app.py` and index its functions by trigger."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.host.routes import RouteTemplate, RouteTemplateError
from devstack.host.timers import ScheduleError, TimerFunction, timer_function

log = logging.getLogger("devstack.host")

# Durable entities are not run by the local engine, so `entityTrigger` is not among them.
DURABLE_TRIGGERS = {"orchestrationTrigger", "activityTrigger"}


@dataclass(frozen=True)
class HttpFunction:
    name: str
    route: RouteTemplate
    methods: frozenset[str]
    auth_level: str
    trigger_name: str
    function: Any

    def specificity(self) -> tuple[int, int]:
        """Literal routes win over parameterised ones, as in ASP.NET routing."""
        return (self.route.literal_length, -self.route.template.count("{"))


@dataclass
class FunctionIndex:
    """What an app declared, grouped by how the host serves it."""

    functions: list[Any]
    http: list[HttpFunction] = field(default_factory=list)
    event_grid: dict[str, tuple[str, Any]] = field(default_factory=dict)
    durable: list[Any] = field(default_factory=list)
    client_bindings: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    timers: list[TimerFunction] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # function name -> why it did not load

    @property
    def needs_durable(self) -> bool:
        return bool(self.durable or self.client_bindings)

    def find_http(self, path: str) -> list[tuple[HttpFunction, dict[str, str]]]:
        matches = [(fn, params) for fn in self.http if (params := fn.route.match(path)) is not None]
        return sorted(matches, key=lambda item: item[0].specificity(), reverse=True)


def _bindings(function: Any) -> list[dict[str, Any]]:
    return [binding.get_dict_repr() for binding in function.get_bindings()]


def _value(x: Any) -> str:
    return str(getattr(x, "value", x))


class UnsupportedBinding(ValueError):
    """A binding type this host does not serve."""


def index_functions(functions: list[Any], settings: Mapping[str, str] | None = None) -> FunctionIndex:
    """Group functions by trigger.

    A function that cannot be served (a binding type this host does not know, a bad route or
    schedule) fails to load on its own, as on Azure: it is logged and listed in `failed` with a
    message naming the binding, and every other function is served.
    """
    index = FunctionIndex(functions=[])
    for function in functions:
        name = function.get_function_name()
        try:
            part = _index_one(name, function, settings or {})
        except (UnsupportedBinding, RouteTemplateError, ScheduleError) as exc:
            index.failed[name] = str(exc)
            log.error("function %s failed to load: %s", name, exc)
            continue
        index.functions.append(function)
        index.http += part.http
        index.event_grid.update(part.event_grid)
        index.durable += part.durable
        index.client_bindings.update(part.client_bindings)
        index.timers += part.timers
    return index


def _index_one(name: str, function: Any, settings: Mapping[str, str]) -> FunctionIndex:
    part = FunctionIndex(functions=[function])
    for binding in _bindings(function):
        kind = binding["type"]
        if kind == "httpTrigger":
            route = binding.get("route") or name
            methods = frozenset(_value(m).upper() for m in (binding.get("methods") or ["GET", "POST"]))
            auth = _value(binding.get("authLevel", "function")).lower()
            part.http.append(HttpFunction(name, RouteTemplate.parse(route), methods, auth, binding["name"], function))
        elif kind == "eventGridTrigger":
            part.event_grid[name] = (binding["name"], function)
        elif kind == "timerTrigger":
            part.timers.append(timer_function(name, binding, function, settings))
        elif kind in DURABLE_TRIGGERS:
            part.durable.append(function)
        elif kind == "durableClient":
            part.client_bindings.setdefault(name, []).append((binding["name"], binding.get("taskHub") or ""))
        elif kind == "http":
            continue  # the $return output of an HTTP trigger
        else:
            raise UnsupportedBinding(
                f"function {name}: binding '{binding.get('name')}' of type '{kind}' is not supported by devstack.host"
            )
    return part


_LOADED: dict[Path, list[Any]] = {}


def load_functions(app_dir: Path) -> list[Any]:
    """Import `app_dir/function_app.py` and return `app.get_functions()`.

    `get_functions()` may run only once per app, so the result is kept per folder: several hosts
    of one app in a process (tests) share it. The module gets a name unique to its folder, so two
    different apps can be hosted side by side.
    """
    app_dir = app_dir.resolve()
    if app_dir in _LOADED:
        return _LOADED[app_dir]
    path = app_dir / "function_app.py"
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    name = "function_app" if not _LOADED and "function_app" not in sys.modules else f"function_app_{len(_LOADED)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    for value in vars(module).values():
        if hasattr(value, "get_functions") and hasattr(value, "register_functions"):
            _LOADED[app_dir] = value.get_functions()
            return _LOADED[app_dir]
    raise ValueError(f"{path} defines no FunctionApp")

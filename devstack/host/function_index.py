"""Load an app folder's `function_app.py` and index its functions by trigger."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.host.routes import RouteTemplate

DURABLE_TRIGGERS = {"orchestrationTrigger", "activityTrigger", "entityTrigger"}


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


def index_functions(functions: list[Any]) -> FunctionIndex:
    """Group functions by trigger.

    Raises:
        ValueError: a binding type this host does not serve (named, so the gap is clear).
    """
    index = FunctionIndex(functions=functions)
    for function in functions:
        name = function.get_function_name()
        for binding in _bindings(function):
            kind = binding["type"]
            if kind == "httpTrigger":
                route = binding.get("route") or name
                methods = frozenset(_value(m).upper() for m in (binding.get("methods") or ["GET", "POST"]))
                index.http.append(
                    HttpFunction(
                        name,
                        RouteTemplate.parse(route),
                        methods,
                        _value(binding.get("authLevel", "function")).lower(),
                        binding["name"],
                        function,
                    )
                )
            elif kind == "eventGridTrigger":
                index.event_grid[name] = (binding["name"], function)
            elif kind in DURABLE_TRIGGERS:
                index.durable.append(function)
            elif kind == "durableClient":
                index.client_bindings.setdefault(name, []).append((binding["name"], binding.get("taskHub") or ""))
            elif kind == "http":
                continue  # the $return output of an HTTP trigger
            else:
                raise ValueError(f"function {name}: binding type '{kind}' is not supported by devstack.host")
    return index


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

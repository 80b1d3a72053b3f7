"""`host.json`: the parts of the Functions host configuration this host honours.

- `extensions.http.routePrefix`: where HTTP triggers are served (default `api`; `""` = the root).
- `extensions.durableTask.hubName` (`%SETTING%` resolved from the app settings, as the extension
  does), `maxConcurrentActivityFunctions`, `maxConcurrentOrchestratorFunctions`.
- `functionTimeout` (`hh:mm:ss` or `d.hh:mm:ss`; `-1` = unbounded): an invocation running longer is
  abandoned with the host's message, `Timeout value of 00:10:00 was exceeded by function: Functions.X`.

Anything else in the file is accepted and ignored (logging, extension bundle, sampling).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from devstack.host.timespan import TimespanError, parse_timespan, timeout_message

DEFAULT_TASK_HUB = "TestHubName"  # what the extension uses locally when no hub is named
_SETTING = re.compile(r"^%([^%]+)%$")


class HostConfigError(ValueError):
    """host.json says something this host cannot honour (the message names the field)."""


@dataclass(frozen=True)
class HostConfig:
    """What the host and the Durable engine take from host.json."""

    route_prefix: str = "api"
    hub_name: str = DEFAULT_TASK_HUB
    max_concurrent_activities: int | None = None  # None: the engine's default
    max_concurrent_orchestrators: int | None = None
    function_timeout: timedelta | None = None  # None: unbounded

    def timeout_message(self, function_name: str) -> str:
        """The Functions host's text when an invocation outlives `functionTimeout`."""
        return timeout_message(self.function_timeout, function_name)


def load_host_config(app_dir: Path, settings: Mapping[str, str] | None = None) -> HostConfig:
    """Read `app_dir/host.json` (missing file = defaults); `%NAME%` values come from `settings` or the environment.

    Raises:
        HostConfigError: a value of the wrong type or format, named by its path in the file.
    """
    path = app_dir / "host.json"
    if not path.exists():
        return HostConfig()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise HostConfigError(f"{path} is not valid JSON: {exc}") from exc
    lookup = {**os.environ, **(settings or {})}
    extensions = _object(document, "extensions")
    http = _object(extensions, "http")
    durable = _object(extensions, "durableTask")
    prefix = http.get("routePrefix", "api")
    if not isinstance(prefix, str):
        raise HostConfigError("host.json extensions.http.routePrefix must be a string")
    hub = durable.get("hubName")
    if hub is not None and not isinstance(hub, str):
        raise HostConfigError("host.json extensions.durableTask.hubName must be a string")
    timeout = document.get("functionTimeout")
    return HostConfig(
        route_prefix=prefix.strip("/"),
        hub_name=_resolve(hub, lookup) or DEFAULT_TASK_HUB,
        max_concurrent_activities=_positive(durable, "maxConcurrentActivityFunctions"),
        max_concurrent_orchestrators=_positive(durable, "maxConcurrentOrchestratorFunctions"),
        function_timeout=_timeout(timeout),
    )


def _timeout(value: Any) -> timedelta | None:
    if value in (None, "-1", -1):
        return None
    try:
        return parse_timespan(str(value))
    except TimespanError as exc:
        raise HostConfigError(f"host.json functionTimeout: {exc}") from exc


def _object(parent: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key) or {}
    if not isinstance(value, dict):
        raise HostConfigError(f"host.json {key} must be an object")
    return value


def _positive(section: Mapping[str, Any], key: str) -> int | None:
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HostConfigError(f"host.json extensions.durableTask.{key} must be a positive integer, not {value!r}")
    return int(value)


def _resolve(value: str | None, lookup: Mapping[str, str]) -> str | None:
    """`%NAME%` is replaced by the app setting NAME (unset: None, so the default hub applies)."""
    if value is None:
        return None
    found = _SETTING.match(value)
    return lookup.get(found.group(1)) or None if found else value

"""A local Durable Functions engine: the real SDK's replay protocol, SQLite persistence, loopback API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from devstack.durable.clock import Clock, RealClock, VirtualClock
from devstack.durable.engine import DurableEngine
from devstack.durable.functions import uses_durable
from devstack.durable.instance import RuntimeStatus

# Without host.json limits: activities run wide, orchestrator episodes one at a time (deterministic order).
DEFAULT_MAX_ACTIVITIES = 32
DEFAULT_MAX_ORCHESTRATORS = 1


class DurableSettings(Protocol):
    """The host.json values the engine takes (devstack.host.HostConfig provides them)."""

    @property
    def hub_name(self) -> str: ...
    @property
    def max_concurrent_activities(self) -> int | None: ...
    @property
    def max_concurrent_orchestrators(self) -> int | None: ...
    @property
    def function_timeout(self) -> timedelta | None: ...


def create_engine(
    functions: Iterable[Any], data_dir: Path, settings: DurableSettings, clock: Clock | None = None
) -> DurableEngine:
    """The engine for a hosted app: its functions, its data folder, and host.json's durableTask settings."""
    return DurableEngine(
        functions,
        data_dir,
        clock,
        settings.hub_name,
        max_activities=settings.max_concurrent_activities or DEFAULT_MAX_ACTIVITIES,
        max_orchestrators=settings.max_concurrent_orchestrators or DEFAULT_MAX_ORCHESTRATORS,
        activity_timeout=settings.function_timeout,
    )


__all__ = [
    "Clock",
    "DurableEngine",
    "RealClock",
    "RuntimeStatus",
    "VirtualClock",
    "create_engine",
    "uses_durable",
]

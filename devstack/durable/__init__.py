"""A local Durable Functions engine: the real SDK's replay protocol, SQLite persistence, loopback API."""

from __future__ import annotations

import os
from typing import Any

from devstack.durable.clock import Clock, RealClock, VirtualClock
from devstack.durable.engine import DurableEngine
from devstack.durable.functions import uses_durable
from devstack.durable.instance import RuntimeStatus

DEFAULT_TASK_HUB = "TestHubName"


def create_engine(host: Any, clock: Clock | None = None) -> DurableEngine:
    """The engine for a `devstack.host.FunctionsHost`: its functions, its data folder, its task hub.

    The task hub comes from `DURABLE_TASK_HUB` (host.json's `hubName` is `%DURABLE_TASK_HUB%`).
    """
    task_hub = os.environ.get("DURABLE_TASK_HUB") or DEFAULT_TASK_HUB
    return DurableEngine(host.index.functions, host.data_dir, clock, task_hub)


__all__ = [
    "Clock",
    "DurableEngine",
    "RealClock",
    "RuntimeStatus",
    "VirtualClock",
    "create_engine",
    "uses_durable",
]

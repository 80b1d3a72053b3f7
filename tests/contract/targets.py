"""Which targets a contract runs against: the offline stand-in always, the real service when asked.

A real target runs only under `make conformance` (CONFORMANCE=1) and only when its settings are in the
environment (the same names the app and bridge read, e.g. from `azd env get-values`); otherwise it is
skipped with the reason, and the session summary lists every skipped target once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

STANDIN = "standin"
AZURE = "azure"


@dataclass(frozen=True)
class RealTarget:
    """One real service: the settings it needs and what a run costs."""

    service: str
    required: tuple[str, ...]
    cost: str


REAL_TARGETS = {
    "realtime": RealTarget(
        "Azure OpenAI Realtime",
        ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_REALTIME_DEPLOYMENT"),
        "a few short text responses (well under USD 0.05)",
    ),
    "acs": RealTarget(
        "Azure Communication Services",
        ("ACS_ENDPOINT", "ACS_RESOURCE_ID"),
        "free (no call is placed unless CONFORMANCE_TEST_NUMBER is set: then one PSTN call of a few seconds)",
    ),
    "durable": RealTarget(
        "Durable Functions management API of the deployed function app",
        ("FUNCTION_APP_URL", "DURABLE_TASK_KEY"),
        "free (read-only requests)",
    ),
}

skipped: dict[str, str] = {}  # service -> why its real target did not run (filled as fixtures resolve)


def real_target_reason(service: str) -> str | None:
    """None when the real target of `service` should run; else why not."""
    target = REAL_TARGETS[service]
    if os.environ.get("CONFORMANCE") != "1":
        return f"{target.service}: real target runs only under `make conformance`"
    missing = [name for name in target.required if not os.environ.get(name, "").strip()]
    if missing:
        return f"{target.service}: skipped, {', '.join(missing)} not set"
    return None

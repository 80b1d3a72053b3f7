"""Contract targets: every contract test runs once per target (`standin`, `azure`).

See tests/contract/targets.py for when the real target runs, and docs/conformance.md for how to run it.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.contract.targets import AZURE, REAL_TARGETS, STANDIN, real_target_reason, skipped


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", [STANDIN, AZURE])


def require_real(service: str, target: str) -> None:
    """Skip this test's real target with the reason when it is not configured."""
    if target != AZURE:
        return
    reason = real_target_reason(service)
    if reason is not None:
        skipped[service] = reason
        pytest.skip(reason)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Under `make conformance`, say per real target whether it ran, and if not, why."""
    if os.environ.get("CONFORMANCE") != "1":
        return
    terminalreporter.section("conformance targets")
    for service, target in REAL_TARGETS.items():
        line = skipped.get(service) or f"{target.service}: ran against the real service ({target.cost})"
        terminalreporter.write_line(line)

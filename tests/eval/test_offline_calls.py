"""Shipped eval scenarios and every documented `make call` example, as real phone calls through
the whole stack with the offline assistant (eSpeak NG caller, PocketSphinx, bridge, function app).

`make test` runs a representative subset of the suites (the ones the offline recognizer holds
reliably on this machine; healthcare's spoken patient ids and birth dates are not yet among
them), two calls at a time; `make eval` runs all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.call_examples import EXAMPLES
from eval.runner import Target, local_stack, run_all
from eval.scenario import Expect, Line, Scenario, ToolExpectation, load_suites

REPRESENTATIVE = {
    "telecom/balance-spelled-account",
    "telecom/change-plan-declined",
    "retail/product-in-stock",
    "concierge/just-goodbye",
    "outreach/voicemail-leaves-the-message",
}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "calls.md"
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with local_stack(tmp_path_factory.mktemp("eval-stack")) as target:
        yield target


def _failures(target: Target, scenarios: list[Scenario]) -> list[str]:
    outcomes = asyncio.run(run_all(target, scenarios, parallel=2))
    return [
        f"{o.scenario.suite}/{o.scenario.name}: {o.error or o.failures} heard {o.transcript}"
        for o in outcomes
        if not o.passed
    ]


@pytest.mark.timeout(900)
def test_representative_shipped_scenarios_pass_against_the_offline_assistant(stack: Target) -> None:
    chosen = [s for s in load_suites() if f"{s.suite}/{s.name}" in REPRESENTATIVE]
    assert len(chosen) == len(REPRESENTATIVE)
    assert _failures(stack, chosen) == []


@pytest.mark.timeout(900)
def test_every_documented_make_call_example_makes_the_right_tool_call_and_answer(stack: Target) -> None:
    documented = DOCS.read_text(encoding="utf-8")
    scenarios = []
    for n, example in enumerate(EXAMPLES):
        assert example.command in documented
        scenarios.append(
            Scenario(
                name=f"example-{n}",
                suite="make-call",
                persona="",
                goal=example.command,
                lines=tuple(Line(line) for line in example.lines),
                expect=Expect(
                    tools=tuple(ToolExpectation(name, args) for name, args in example.tools),
                    must_say=example.must_say,
                ),
                direction="outbound" if example.outbound_agent else "inbound",
                agent=example.outbound_agent or "default",
            )
        )
    assert _failures(stack, scenarios) == []


def test_every_make_call_in_the_readme_is_a_checked_example() -> None:
    commands = {example.command for example in EXAMPLES}
    quoted = [line.strip() for line in README.read_text(encoding="utf-8").splitlines()]
    calls = [line for line in quoted if line.startswith("make call")]
    assert calls and [c for c in calls if c not in commands] == []

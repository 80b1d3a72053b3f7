"""Scenario files are validated up front, and scoring names each broken expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.scenario import ScenarioError, load_suite, load_suites
from eval.score import Outcome, judge


def test_shipped_suites_cover_every_demo_agent_with_at_least_30_scenarios() -> None:
    scenarios = load_suites()
    assert len(scenarios) >= 30
    assert {s.suite for s in scenarios} >= {"telecom", "healthcare", "retail", "concierge", "outreach"}


def test_a_bare_yes_line_is_refused_with_a_hint_to_quote_it(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("scenarios:\n  - name: x\n    lines: [yes]\n")
    with pytest.raises(ScenarioError, match="quote yes"):
        load_suite(path)


def test_an_unknown_expectation_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("scenarios:\n  - name: x\n    lines: [hello]\n    expect: {tool: [a]}\n")
    with pytest.raises(ScenarioError, match="unknown expectation"):
        load_suite(path)


def test_judge_names_missing_tools_wrong_arguments_and_forbidden_words(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "scenarios:\n  - name: x\n    lines: [hi]\n    expect:\n"
        "      tools: [{name: get_account_balance, arguments: {account_id: ACC-1001}}]\n"
        "      no_tools: [add_to_do_not_call]\n      must_not_say: [autopay True]\n"
    )
    scenario = load_suite(path)[0]
    outcome = Outcome(scenario, ["hi"])
    outcome.tool_calls = [
        {"name": "get_account_balance", "arguments": {"account_id": "ACC-1002"}, "ok": True},
        {"name": "add_to_do_not_call", "arguments": {}, "ok": True},
    ]
    outcome.transcript = [{"role": "agent", "text": "Here is what I found: autopay True"}]
    failures = judge(outcome)
    assert len(failures) == 3
    assert "ACC-1001" in failures[0] and "add_to_do_not_call" in failures[1] and "autopay True" in failures[2]

"""Eval scenarios: a simulated caller and what must happen on the call (format: docs/eval.md).

A suite file (YAML) holds a list of scenarios under `scenarios:`. Loading validates every field
up front and names the file and scenario of a mistake, so a typo fails before any call is placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITES = Path(__file__).resolve().parent / "suites"


class ScenarioError(ValueError):
    """A scenario file is not valid."""


@dataclass(frozen=True)
class Line:
    """One thing the caller says, with optional other wordings of it."""

    say: str
    variations: tuple[str, ...] = ()

    def wording(self, variant: int) -> str:
        options = (self.say, *self.variations)
        return options[variant % len(options)]


@dataclass(frozen=True)
class ToolExpectation:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)  # must be a subset of the call's arguments


@dataclass(frozen=True)
class Expect:
    tools: tuple[ToolExpectation, ...] = ()  # called, in this order (other calls may come between)
    no_tools: tuple[str, ...] = ()  # never called
    handoffs: tuple[str, ...] = ()  # agents handed to, in order
    escalated: bool | None = None
    outcome: str | None = None  # the call record's outcome
    must_say: tuple[str, ...] = ()  # phrases the agent says (case-insensitive)
    must_not_say: tuple[str, ...] = ()
    max_turns: int | None = None  # agent turns
    max_seconds: float | None = None  # wall clock of the whole call


@dataclass(frozen=True)
class Scenario:
    name: str
    suite: str
    persona: str
    goal: str
    lines: tuple[Line, ...]
    expect: Expect
    direction: str = "inbound"  # or "outbound"
    agent: str = "default"  # outbound calls: the agent placing the call
    context: dict[str, str] = field(default_factory=dict)  # outbound calls: the call's context
    caller: str = ""  # inbound: the caller's number (default: one per scenario)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{where}: expected a list of strings")
    return tuple(value)


def _line(value: Any, where: str) -> Line:
    if isinstance(value, str):
        return Line(value)
    if isinstance(value, dict) and isinstance(value.get("say"), str):
        return Line(value["say"], _strings(value.get("variations"), f"{where}.variations"))
    raise ScenarioError(
        f"{where}: a line is a string or {{say, variations}} (quote yes and no: YAML reads them as booleans)"
    )


def _expect(value: Any, where: str) -> Expect:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: 'expect' must be a mapping")
    unknown = set(value) - set(Expect.__dataclass_fields__)
    if unknown:
        raise ScenarioError(f"{where}: unknown expectation(s) {sorted(unknown)}")
    tools = []
    for i, tool in enumerate(value.get("tools") or []):
        if isinstance(tool, str):
            tool = {"name": tool}
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise ScenarioError(f"{where}.tools[{i}]: needs a 'name'")
        tools.append(ToolExpectation(tool["name"], dict(tool.get("arguments") or {})))
    return Expect(
        tools=tuple(tools),
        no_tools=_strings(value.get("no_tools"), f"{where}.no_tools"),
        handoffs=_strings(value.get("handoffs"), f"{where}.handoffs"),
        escalated=value.get("escalated"),
        outcome=value.get("outcome"),
        must_say=_strings(value.get("must_say"), f"{where}.must_say"),
        must_not_say=_strings(value.get("must_not_say"), f"{where}.must_not_say"),
        max_turns=value.get("max_turns"),
        max_seconds=value.get("max_seconds"),
    )


def _scenario(raw: Any, suite: str, where: str) -> Scenario:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ScenarioError(f"{where}: each scenario needs a 'name'")
    where = f"{where} ({raw['name']})"
    lines = raw.get("lines")
    if not isinstance(lines, list) or not lines:
        raise ScenarioError(f"{where}: 'lines' must be a non-empty list")
    direction = raw.get("direction", "inbound")
    if direction not in ("inbound", "outbound"):
        raise ScenarioError(f"{where}: 'direction' is inbound or outbound")
    context = raw.get("context") or {}
    if not isinstance(context, dict):
        raise ScenarioError(f"{where}: 'context' must be a mapping")
    return Scenario(
        name=raw["name"],
        suite=suite,
        persona=str(raw.get("persona", "")),
        goal=str(raw.get("goal", "")),
        lines=tuple(_line(line, f"{where}.lines[{i}]") for i, line in enumerate(lines)),
        expect=_expect(raw.get("expect") or {}, f"{where}.expect"),
        direction=direction,
        agent=str(raw.get("agent", "default")),
        context={str(k): str(v) for k, v in context.items()},
        caller=str(raw.get("caller", "")),
    )


def load_suite(path: Path) -> list[Scenario]:
    """The scenarios of one suite file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("scenarios"), list):
        raise ScenarioError(f"{path}: expected a mapping with a 'scenarios' list")
    suite = str(document.get("suite") or path.stem)
    return [_scenario(raw, suite, f"{path.name}[{i}]") for i, raw in enumerate(document["scenarios"])]


def load_suites(paths: list[Path] | None = None) -> list[Scenario]:
    """Every scenario of the given suite files (default: the shipped suites)."""
    files = paths or sorted(SUITES.glob("*.yaml"))
    scenarios = [s for path in files for s in load_suite(path)]
    names = [f"{s.suite}/{s.name}" for s in scenarios]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ScenarioError(f"duplicate scenario names: {sorted(duplicates)}")
    return scenarios

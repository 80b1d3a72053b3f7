"""Scoring: what happened on a call against what the scenario expects, and the call's latencies."""

from __future__ import annotations

import io
import json
import re
import wave
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eval.scenario import Scenario

_FRAME_MS = 20
_VOICED_DBFS = -40.0
_END_OF_TURN_MS = 400  # caller silence that ends a caller turn


@dataclass
class Outcome:
    """One scenario's run: the evidence and the verdict."""

    scenario: Scenario
    wording: list[str]  # what the caller said
    call_id: str = ""
    transcript: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    response_ms: list[int] = field(default_factory=list)  # first agent audio after each caller turn
    failures: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures and not self.error

    @property
    def tool_ms(self) -> list[int]:
        return [int(t.get("duration_ms") or 0) for t in self.tool_calls]

    @property
    def cost(self) -> float:
        return float(self.record.get("estimated_cost") or 0.0)

    def agent_text(self) -> str:
        return " ".join(str(line.get("text", "")) for line in self.transcript if line.get("role") != "caller")


def _arguments(call: dict[str, Any]) -> dict[str, Any]:
    value = call.get("arguments")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9$.%' ]", " ", text.lower())).strip()


def judge(outcome: Outcome) -> list[str]:
    """Every expectation the call broke, as a sentence."""
    expect = outcome.scenario.expect
    failures: list[str] = []
    calls = outcome.tool_calls
    position = 0
    for wanted in expect.tools:
        found = next(
            (
                i
                for i in range(position, len(calls))
                if calls[i].get("name") == wanted.name
                and all(_arguments(calls[i]).get(k) == v for k, v in wanted.arguments.items())
            ),
            None,
        )
        if found is None:
            seen = ", ".join(f"{c.get('name')}({json.dumps(_arguments(c))})" for c in calls) or "none"
            failures.append(f"expected {wanted.name}({json.dumps(wanted.arguments)}) in order; calls: {seen}")
        else:
            position = found + 1
    for name in expect.no_tools:
        if any(c.get("name") == name for c in calls):
            failures.append(f"{name} must not be called")
    handoffs = [str(_arguments(c).get("agent")) for c in calls if c.get("name") == "handoff_to_agent" and c.get("ok")]
    if expect.handoffs and handoffs != list(expect.handoffs):
        failures.append(f"handoffs {handoffs}, expected {list(expect.handoffs)}")
    escalated = any(c.get("name") == "escalate_to_human" and c.get("ok") for c in calls)
    if expect.escalated is not None and escalated != expect.escalated:
        failures.append("expected an escalation" if expect.escalated else "escalated without reason")
    if expect.outcome is not None and outcome.record.get("outcome") != expect.outcome:
        failures.append(f"outcome {outcome.record.get('outcome')!r}, expected {expect.outcome!r}")
    said = _normal(outcome.agent_text())
    for phrase in expect.must_say:
        if _normal(phrase) not in said:
            failures.append(f"agent never said {phrase!r}")
    for phrase in expect.must_not_say:
        if _normal(phrase) in said:
            failures.append(f"agent said {phrase!r}")
    turns = sum(1 for line in outcome.transcript if line.get("role") != "caller")
    if expect.max_turns is not None and turns > expect.max_turns:
        failures.append(f"{turns} agent turns, budget {expect.max_turns}")
    if expect.max_seconds is not None and outcome.seconds > expect.max_seconds:
        failures.append(f"call took {outcome.seconds:.1f} s, budget {expect.max_seconds:.0f} s")
    return failures


def response_latencies(conversation_wav: bytes) -> list[int]:
    """Milliseconds from the end of each caller turn to the agent's first audio after it.

    The ACS simulator's conversation recording has the caller on the left and the agent on the
    right, one 20 ms frame per tick of the call's media clock: exactly what each side heard."""
    with wave.open(io.BytesIO(conversation_wav)) as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    if channels != 2 or len(samples) == 0:
        return []
    frame = rate * _FRAME_MS // 1000
    count = len(samples) // 2 // frame
    stereo = samples[: count * frame * 2].astype(np.float64).reshape(count, frame, 2)
    level = 10 ** (_VOICED_DBFS / 20) * 32768
    voiced = np.sqrt((stereo**2).mean(axis=1)) >= level  # (frames, side)
    caller, agent = voiced[:, 0], voiced[:, 1]
    quiet = _END_OF_TURN_MS // _FRAME_MS
    latencies: list[int] = []
    for end in range(1, count):
        if not caller[end - 1] or caller[end : end + quiet].any():
            continue  # not the end of a caller turn
        onset = next((j for j in range(end, count) if agent[j] and not agent[j - 1]), None)
        if onset is not None and not caller[end:onset].any():
            latencies.append((onset - end) * _FRAME_MS)
    return latencies

"""The simulator's "brains": what the agent says and which tools it calls.

`ScriptedAgent` follows a scenario file, turn by turn (deterministic, for tests). `AssistantAgent`
transcribes the caller with PocketSphinx and a domain language model and holds the conversation
with the rules of `devstack/realtime/assistant/` (offline, for people trying the local stack).

Scenario file (JSON):

    {"greeting": "Hello, how can I help?",            # used when response.create has no quote
     "turns": [                                      # one per caller turn, in order
       {"caller": "what is my balance",              # transcript reported for the caller's audio
        "agent": "Let me check.",                    # spoken before any tool call
        "tool_calls": [{"name": "get_balance", "arguments": {"account": "42"}}],
        "after_tools": "Your balance is {output}."}, # spoken once the tool outputs arrive
       {"agent": "Goodbye!"}],
     "fallback": "Sorry, could you say that again?", # after the last turn
     "coached": [{"when": "loyalty discount",         # a system message with these words since the
                  "agent": "I can offer you 20% off."}]} # last response: this replaces the turn's words
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class ToolCallPlan:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class AgentTurn:
    """One response: words to speak (may be empty) and tool calls to make after them."""

    text: str = ""
    tool_calls: tuple[ToolCallPlan, ...] = ()


@dataclass
class ResponseContext:
    """What a response is answering."""

    instructions: str | None = None  # response.create's per-response instructions
    caller_texts: list[str] = field(default_factory=list)  # caller turns since the last response
    tool_outputs: list[str] = field(default_factory=list)  # function_call_output values since then
    tools: list[dict[str, Any]] = field(default_factory=list)  # the session's tools
    session_instructions: str = ""  # the session's instructions (which agent is speaking)
    system_texts: list[str] = field(default_factory=list)  # system messages since then (a supervisor's coaching)


class Agent(Protocol):
    def transcribe(self, pcm24: bytes) -> str: ...

    def respond(self, context: ResponseContext) -> AgentTurn: ...


_QUOTED = re.compile(r'"([^"]+)"')


def quoted_text(instructions: str | None) -> str | None:
    """The first double-quoted phrase: how the bridge asks for an exact greeting."""
    match = _QUOTED.search(instructions or "")
    return match.group(1) if match else None


class ScenarioError(ValueError):
    """The scenario file is not valid."""


class ScriptedAgent:
    """Plays a scenario; caller turn N gets turn N's reply."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        turns = scenario.get("turns", [])
        if not isinstance(turns, list) or not all(isinstance(t, dict) for t in turns):
            raise ScenarioError("'turns' must be a list of objects")
        for index, turn in enumerate(turns):
            for call in turn.get("tool_calls", []):
                if not isinstance(call, dict) or not isinstance(call.get("name"), str):
                    raise ScenarioError(f"turn {index}: each tool call needs a 'name'")
        self._turns = turns
        self._greeting = str(scenario.get("greeting", "Hello, how can I help you?"))
        self._fallback = str(scenario.get("fallback", "Sorry, could you say that again?"))
        coached = scenario.get("coached", [])
        if not isinstance(coached, list) or not all(isinstance(c, dict) and "when" in c for c in coached):
            raise ScenarioError("'coached' must be a list of objects with 'when' and 'agent'")
        self._coached = coached
        self._next = 0  # index of the turn the next caller utterance gets
        self._current: dict[str, Any] = {}

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedAgent:
        try:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"cannot load scenario {path}: {exc}") from None

    def transcribe(self, pcm24: bytes) -> str:
        turn = self._turns[self._next] if self._next < len(self._turns) else {}
        return str(turn.get("caller", f"(caller turn {self._next + 1})"))

    def respond(self, context: ResponseContext) -> AgentTurn:
        if context.tool_outputs:
            text = str(self._current.get("after_tools", "")).replace("{output}", _speakable(context.tool_outputs[-1]))
            return AgentTurn(text=text)
        if context.caller_texts:
            if self._next >= len(self._turns):
                self._current = {}
                return AgentTurn(text=self._fallback)
            self._current = self._turns[self._next]
            self._next += 1
            calls = tuple(
                ToolCallPlan(c["name"], dict(c.get("arguments", {}))) for c in self._current.get("tool_calls", [])
            )
            return AgentTurn(text=self._coached_text(context) or str(self._current.get("agent", "")), tool_calls=calls)
        return AgentTurn(text=quoted_text(context.instructions) or self._greeting)

    def _coached_text(self, context: ResponseContext) -> str | None:
        """The coached line whose words a system message since the last response contained, if any."""
        guidance = " ".join(context.system_texts).lower()
        for coaching in self._coached:
            if str(coaching["when"]).lower() in guidance:
                return str(coaching.get("agent", ""))
        return None


def _speakable(output: str) -> str:
    """A tool output (JSON) as words."""
    try:
        value = json.loads(output)
    except ValueError:
        return output
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items() if not isinstance(v, dict | list))
    return str(value)


class AssistantAgent:
    """Offline assistant: PocketSphinx with the domain model hears, `assistant.dialogue` decides,
    eSpeak speaks. One per session (it holds the conversation's state)."""

    def __init__(self) -> None:
        from devstack.realtime.assistant.dialogue import Dialogue
        from devstack.realtime.assistant.recognizer import shared_recognizer

        self._recognizer = shared_recognizer()
        self._dialogue = Dialogue()

    def transcribe(self, pcm24: bytes) -> str:
        return self._recognizer.transcribe(pcm24, self._dialogue.understands).text

    def respond(self, context: ResponseContext) -> AgentTurn:
        return self._dialogue.respond(context)

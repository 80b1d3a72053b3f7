"""The simulator's "brains": what the agent says and which tools it calls.

`ScriptedAgent` follows a scenario file, turn by turn (deterministic, for tests). `AssistantAgent`
transcribes the caller with PocketSphinx and picks a tool whose name and description share the most
words with what the caller said (offline, for people trying the local stack).

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

from devstack.realtime.words import STOP_WORDS


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


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower().replace("_", " ")) if w not in STOP_WORDS and len(w) > 1}


def choose_tool(text: str, tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The tool sharing the most words with `text` (name words count double); None if none share any."""
    said = _words(text)
    best: tuple[int, dict[str, Any]] | None = None
    for tool in tools:
        score = 2 * len(said & _words(str(tool.get("name", "")))) + len(said & _words(str(tool.get("description", ""))))
        if score > 0 and (best is None or score > best[0]):
            best = (score, tool)
    return best[1] if best else None


_DIGITS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


def spoken_tokens(text: str) -> list[str]:
    """The caller's words with spoken digits and spelled letters joined: "a c c one zero zero one" ->
    ["acc", "1001"]. Speech-to-text writes numbers and codes the way people say them."""
    tokens: list[str] = []
    kinds: list[str] = []
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        digit = _DIGITS.get(word) if not word.isdigit() else word
        kind = "digits" if digit is not None else "letter" if len(word) == 1 else "word"
        value = digit if digit is not None else word
        if tokens and kind in ("digits", "letter") and kinds[-1] == kind:
            tokens[-1] += value
        else:
            tokens.append(value)
            kinds.append(kind)
    return tokens


def _pattern_prefix(pattern: str) -> str:
    """The literal text a pattern starts with: "^ACC-[0-9]{4}$" -> "ACC-"."""
    match = re.match(r"\^?((?:[A-Za-z0-9_-]|\\.)*)", pattern)
    return re.sub(r"\\(.)", r"\1", match.group(1)) if match else ""


def _fit_pattern(pattern: str, tokens: list[str]) -> str | None:
    """A value matching `pattern` made from the caller's tokens (alone, upper-cased, or after the
    pattern's literal prefix), or None."""
    regex = re.compile(pattern)
    prefix = _pattern_prefix(pattern)
    for token in tokens:
        for candidate in (token, token.upper(), prefix + token, prefix + token.upper()):
            if regex.fullmatch(candidate) or regex.match(candidate):
                return candidate
    return None


def fill_arguments(text: str, tool: dict[str, Any]) -> dict[str, Any]:
    """Best-effort arguments from the caller's words: pattern-shaped codes (ACC-1001, 98101), enum
    values, numbers, else the words themselves."""
    schema = tool.get("parameters") or {}
    properties = schema.get("properties") or {}
    tokens = spoken_tokens(text)
    numbers = [t for t in tokens if t.isdigit()]
    said = _words(text)
    args: dict[str, Any] = {}
    for name in schema.get("required") or []:
        spec = properties.get(name) or {}
        if "enum" in spec:
            args[name] = next(
                (v for v in spec["enum"] if str(v).lower() in text.lower() or str(v) in said), spec["enum"][0]
            )
        elif spec.get("type") in ("integer", "number"):
            args[name] = int(numbers[0]) if numbers else 0
        elif isinstance(spec.get("pattern"), str):
            args[name] = _fit_pattern(spec["pattern"], tokens) or (numbers[0] if numbers else text)
        else:
            args[name] = numbers[0] if numbers else text
    return args


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
    """Offline assistant: PocketSphinx hears, a word-overlap rule picks tools, eSpeak speaks."""

    def __init__(self) -> None:
        from devstack.realtime.speech import shared_listener

        self._listener = shared_listener()

    def transcribe(self, pcm24: bytes) -> str:
        return self._listener.transcribe(pcm24)

    def respond(self, context: ResponseContext) -> AgentTurn:
        if context.tool_outputs:
            return AgentTurn(text="Here is what I found: " + _speakable(context.tool_outputs[-1]))
        if context.caller_texts:
            said = " ".join(context.caller_texts).strip()
            if not said:
                return AgentTurn(text="Sorry, I did not catch that. Could you repeat it?")
            tool = choose_tool(said, context.tools)
            if tool is not None:
                return AgentTurn("One moment please.", (ToolCallPlan(tool["name"], fill_arguments(said, tool)),))
            return AgentTurn(text=f"I heard: {said}. How else can I help?")
        return AgentTurn(text=quoted_text(context.instructions) or "Hello, how can I help you?")

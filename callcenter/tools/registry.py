"""The tool registry: what a tool is, which channels may use it, and how a call to it runs."""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from callcenter.calls import CallEventKind
from callcenter.errors import NotFound
from callcenter.json_schema import compile_schema
from callcenter.tools.validation import validate_arguments

log = logging.getLogger("callcenter.tools")


class Channel(enum.StrEnum):
    WEB = "web"
    PHONE = "phone"


class ToolError(Exception):
    """Raised by an executor for an expected failure the model should explain to the caller."""

    def __init__(self, message: str, *, code: str = "tool_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ToolContext:
    """Who is calling a tool: the channel, the call (phone) or session (web), and the agent."""

    channel: Channel
    agent: str
    call_id: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    # The agents this agent may hand over to, name -> display name (filled by
    # `callcenter.agents.session.tool_context`: tools sit below agents and never read profiles).
    handoffs: Mapping[str, str] = field(default_factory=dict)


DECLARED_PACKS = frozenset({"http", "openapi"})

Executor = Callable[[dict[str, Any], ToolContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Tool:
    """One function the model may call, in the Realtime API's function format."""

    name: str
    description: str
    parameters: dict[str, Any]
    executor: Executor
    channels: frozenset[Channel] = frozenset({Channel.WEB, Channel.PHONE})
    control: CallEventKind | None = None
    pack: str = "common"
    # Agents a declared (HTTP/OpenAPI) tool is offered to; empty = every agent. Pack tools are
    # offered through the profiles' own tool lists instead.
    agents: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        compile_schema(self.parameters)

    def definition(self) -> dict[str, Any]:
        """The GA Realtime `tools[]` entry."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        }


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one tool call: the output for the model and any effect on the call."""

    name: str
    output: dict[str, Any]
    ok: bool
    duration_ms: float
    control: CallEventKind | None = None
    handoff_agent: str | None = None


class ToolRegistry:
    """All tools by name. Built once per process from the packs and the configured HTTP tools."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is declared twice")
        self._tools[tool.name] = tool

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Any:
        return iter(self._tools.values())

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            raise NotFound(f"unknown tool '{name}'", code="unknown_tool") from None

    def names(self) -> list[str]:
        return sorted(self._tools)

    def names_for_agent(self, agent: str, profile_tools: Iterable[str]) -> list[str]:
        """The profile's own tools plus the declared tools offered to `agent`."""
        names = list(profile_tools)
        declared = (t for t in self._tools.values() if t.pack in DECLARED_PACKS)
        names += [t.name for t in declared if (not t.agents or agent in t.agents) and t.name not in names]
        return names

    def definitions(self, channel: Channel, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Definitions of the tools usable on `channel`, limited to `names` when given."""
        wanted = self._tools.keys() if names is None else names
        tools = (self._tools[name] for name in wanted if name in self._tools)
        return [tool.definition() for tool in tools if channel in tool.channels]

    async def execute(self, name: str, raw_arguments: Any, context: ToolContext, timeout: float = 15.0) -> ToolResult:
        """Validate and run one tool call.

        Raises:
            NotFound: unknown tool, or a tool not offered on this channel.
            InvalidInput / ValidationFailed: arguments are not JSON or break the tool's schema.
        Executor failures do not raise: they become a structured error output for the model.
        """
        tool = self.get(name)
        if context.channel not in tool.channels:
            raise NotFound(f"tool '{name}' is not available on the {context.channel} channel", code="unknown_tool")
        arguments = validate_arguments(tool.name, tool.parameters, raw_arguments)
        started = time.perf_counter()
        try:
            output = await asyncio.wait_for(tool.executor(arguments, context), timeout)
            ok = True
        except ToolError as error:
            output, ok = {"error": {"code": error.code, "message": error.message}}, False
        except TimeoutError:
            output, ok = (
                {"error": {"code": "tool_timeout", "message": f"{name} did not answer in time"}},
                False,
            )
        except Exception:
            log.exception("tool %s failed (call %s)", name, context.call_id or "-")
            output, ok = (
                {"error": {"code": "tool_failed", "message": f"{name} failed; apologise and offer help"}},
                False,
            )
        duration_ms = (time.perf_counter() - started) * 1000
        handoff = output.get("handoff_to") if ok else None
        return ToolResult(
            name=name,
            output=output,
            ok=ok,
            duration_ms=duration_ms,
            control=tool.control if ok else None,
            handoff_agent=handoff if isinstance(handoff, str) else None,
        )

"""Tools that act on the conversation itself: hand over to another agent, escalate, hang up."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from callcenter.business_hours import OpeningHours
from callcenter.calls import CallEventKind
from callcenter.config import get_settings
from callcenter.tools.registry import Channel, Tool, ToolContext, ToolError


async def handoff_to_agent(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    target = args["agent"]
    if target not in ctx.handoffs:
        allowed = ", ".join(ctx.handoffs) or "none"
        raise ToolError(f"{ctx.agent} cannot hand over to '{target}'; allowed: {allowed}", code="handoff_refused")
    return {
        "handoff_to": target,
        "agent": ctx.handoffs[target],
        "reason": args["reason"],
        "instructions": "You are now this specialist; continue the conversation without greeting again.",
    }


async def escalate_to_human(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    settings = get_settings()
    if not settings.human_agent_target:
        raise ToolError("no human agents are configured; offer to take a message", code="humans_unavailable")
    hours = OpeningHours.parse(settings.human_agent_hours, settings.human_agent_timezone)
    if not hours.is_open(datetime.now(UTC)):
        raise ToolError(
            f"human agents work {hours.text} ({settings.human_agent_timezone}); offer a callback instead",
            code="humans_unavailable",
        )
    return {
        "transferring": True,
        "reason": args["reason"],
        "say": "Tell the caller you are connecting them to a colleague now and to stay on the line.",
    }


async def end_call(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"ending": True, "reason": args["reason"], "say": "Say a short goodbye; the call ends after it."}


def tools() -> list[Tool]:
    return [
        Tool(
            "handoff_to_agent",
            "Hand the conversation to a specialist agent (see your instructions for who handles what).",
            {
                "type": "object",
                "properties": {
                    "agent": {"type": "string", "description": "Name of the specialist agent"},
                    "reason": {"type": "string", "maxLength": 300},
                },
                "required": ["agent", "reason"],
                "additionalProperties": False,
            },
            handoff_to_agent,
        ),
        Tool(
            "escalate_to_human",
            "Transfer the caller to a human agent, with the reason and a short summary for them.",
            {
                "type": "object",
                "properties": {
                    "reason": {"type": "string", "minLength": 2, "maxLength": 300},
                    "summary": {"type": "string", "maxLength": 1000},
                },
                "required": ["reason", "summary"],
                "additionalProperties": False,
            },
            escalate_to_human,
            channels=frozenset({Channel.PHONE}),
            control=CallEventKind.ESCALATE,
        ),
        Tool(
            "end_call",
            "End the call after saying goodbye, when the caller has nothing more.",
            {
                "type": "object",
                "properties": {"reason": {"type": "string", "maxLength": 300}},
                "required": ["reason"],
                "additionalProperties": False,
            },
            end_call,
            control=CallEventKind.END_CALL,
        ),
    ]

"""In-call tools of outbound campaigns: honour a do-not-call request, and report a voicemail answer.

`voicemail_detected` is a call-control tool: its `voicemail` event tells the call's orchestration
that a machine answered. With the campaign's `hang_up` policy the call ends after a moment; with
`leave_message` the agent is told to speak the message (from the call's context) and then use
`end_call`, and the call still ends as a voicemail.
"""

from __future__ import annotations

from typing import Any

from callcenter.calls import CallEventKind, Direction
from callcenter.config import get_settings
from callcenter.errors import NotFound
from callcenter.store import calls as call_store
from callcenter.store.donotcall import add_number
from callcenter.tools.registry import Channel, Tool, ToolContext, ToolError

PHONE_ONLY = frozenset({Channel.PHONE})


async def add_to_do_not_call(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    if not ctx.call_id:
        raise ToolError("there is no phone call to take a number from", code="no_call")
    settings = get_settings()
    try:
        record = await call_store.get_call(settings, ctx.call_id)
    except NotFound:
        raise ToolError("this call is not on record", code="no_call") from None
    number = record.to_number if record.direction == Direction.OUTBOUND else record.from_number
    if not number:
        raise ToolError("the caller's number is unknown", code="no_number")
    await add_number(settings, number, source="call", reason=args.get("reason", ""), call_id=ctx.call_id)
    return {
        "added": True,
        "say": "Confirm they will not be called again, apologise for the disturbance, say goodbye, then use end_call.",
    }


async def voicemail_detected(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    if "voicemail_policy" not in ctx.variables:
        raise ToolError("voicemail_detected is only for outbound campaign calls", code="not_a_campaign_call")
    if ctx.variables.get("voicemail_policy") == "leave_message":
        message = ctx.variables.get("voicemail_message", "Please call us back. Goodbye.")
        return {
            "voicemail": True,
            "say": f"Wait for the tone, then leave exactly this message: {message} Then use end_call.",
        }
    return {"voicemail": True, "say": "Say nothing more; the call is ending."}


def tools() -> list[Tool]:
    return [
        Tool(
            "add_to_do_not_call",
            "Put the person you are talking to on the do-not-call list when they ask not to be called again.",
            {
                "type": "object",
                "properties": {"reason": {"type": "string", "maxLength": 300}},
                "additionalProperties": False,
            },
            add_to_do_not_call,
            channels=PHONE_ONLY,
            pack="campaign",
        ),
        Tool(
            "voicemail_detected",
            "An answering machine or voicemail greeting answered instead of a person.",
            {
                "type": "object",
                "properties": {"greeting": {"type": "string", "maxLength": 500, "description": "what you heard"}},
                "additionalProperties": False,
            },
            voicemail_detected,
            channels=PHONE_ONLY,
            control=CallEventKind.VOICEMAIL,
            pack="campaign",
        ),
    ]

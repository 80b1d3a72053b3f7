"""Turn an agent profile into the GA Realtime `session` object, the same for web and phone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from callcenter.agents.profiles import AgentProfile, get_profile
from callcenter.calls import FunctionCallBody
from callcenter.tools.registry import Channel, ToolContext, ToolRegistry, ToolResult

SAMPLE_RATE = 24_000
TRANSCRIPTION_MODEL = "whisper-1"


def instructions_for(profile: AgentProfile, context: Mapping[str, str] | None = None) -> str:
    """The profile's instructions plus what is known about this caller (campaign variables, context)."""
    if not context:
        return profile.instructions
    facts = "\n".join(f"- {key}: {value}" for key, value in sorted(context.items()))
    return f"{profile.instructions}\n\nWhat you know about this call:\n{facts}"


def realtime_session(
    profile: AgentProfile,
    registry: ToolRegistry,
    channel: Channel,
    *,
    deployment: str | None = None,
    context: Mapping[str, str] | None = None,
    handoff: bool = False,
) -> dict[str, Any]:
    """The `session` of a GA `session.update` (or of a client secret request).

    `handoff=True` builds the session of a specialist taking over a live conversation: it has no
    `voice`, because the Realtime API refuses a voice change once the session has produced audio,
    so the specialist speaks in the voice the conversation started with. This is the one place
    that rule lives; the bridge and the browser send a handoff session as they get it.
    """
    output: dict[str, Any] = {"format": {"type": "audio/pcm", "rate": SAMPLE_RATE}}
    if not handoff:
        output["voice"] = profile.voice
    session: dict[str, Any] = {
        "type": "realtime",
        "instructions": instructions_for(profile, context),
        "tools": registry.definitions(channel, registry.names_for_agent(profile.name, profile.tools)),
        "tool_choice": "auto",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": SAMPLE_RATE},
                "turn_detection": dict(profile.turn_detection),
                "transcription": {"model": TRANSCRIPTION_MODEL},
            },
            "output": output,
        },
    }
    if deployment:
        session["model"] = deployment
    return session


def tool_context(
    profile: AgentProfile,
    channel: Channel,
    *,
    call_id: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> ToolContext:
    """What a tool run by `profile`'s agent may know: the channel, the call, its facts, and which
    agents it may hand over to."""
    handoffs = {name: get_profile(name).display_name for name in profile.handoffs}
    return ToolContext(
        channel=channel, agent=profile.name, call_id=call_id, variables=variables or {}, handoffs=handoffs
    )


def function_call_body(
    result: ToolResult,
    call_id: str | None,
    channel: Channel,
    registry: ToolRegistry,
    context: Mapping[str, str] | None = None,
) -> FunctionCallBody:
    """The response to a tool call, shared by the web endpoint and the bridge's internal one.

    On a handoff the specialist's session carries the conversation's `context` (a campaign's facts,
    what is known about the caller) as the first agent's did.
    """
    body: FunctionCallBody = {"call_id": call_id, "output": json.dumps(result.output), "ok": result.ok}
    if result.control:
        body["control"] = result.control.value
    if result.handoff_agent:
        profile = get_profile(result.handoff_agent)
        body["agent"] = profile.name
        body["session"] = realtime_session(profile, registry, channel, context=context, handoff=True)
    return body

"""Turn an agent profile into the GA Realtime `session` object, the same for web and phone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callcenter.agents.profiles import AgentProfile
from callcenter.tools.registry import Channel, ToolRegistry

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

"""Turn an agent profile into the `session` object of its speech backend (GA Realtime or Voice Live), the same
for web and phone."""

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


def _voice_live_voice(name: str) -> dict[str, str]:
    """Azure voice names carry a locale (`en-US-Ava:DragonHDLatestNeural`); OpenAI voices are one word."""
    return {"type": "azure-standard", "name": name} if "-" in name else {"type": "openai", "name": name}


def voice_live_session(
    profile: AgentProfile,
    registry: ToolRegistry,
    channel: Channel,
    *,
    context: Mapping[str, str] | None = None,
    handoff: bool = False,
) -> dict[str, Any]:
    """The `session` of a Voice Live `session.update`.

    Voice Live keeps the flat session of the Realtime preview (`voice`, `turn_detection`,
    `input_audio_format` at the top level, as the `azure-ai-voicelive` SDK's `RequestSession` has it)
    and adds its own fields: Azure voices, noise suppression, echo cancellation, Azure speech input
    transcription. Tool definitions are the same function tools. `handoff=True` leaves the voice out,
    as `realtime_session` does.
    """
    options = profile.voice_live
    transcription: dict[str, Any] = {"model": options.transcription_model}
    if options.transcription_language:
        transcription["language"] = options.transcription_language
    session: dict[str, Any] = {
        "modalities": ["text", "audio"],
        "instructions": instructions_for(profile, context),
        "tools": registry.definitions(channel, registry.names_for_agent(profile.name, profile.tools)),
        "tool_choice": "auto",
        "input_audio_format": "pcm16",
        "input_audio_sampling_rate": SAMPLE_RATE,
        "output_audio_format": "pcm16",
        "turn_detection": dict(options.turn_detection),
        "input_audio_transcription": transcription,
    }
    if not handoff:
        session["voice"] = _voice_live_voice(options.voice)
    if options.noise_suppression:
        session["input_audio_noise_reduction"] = {"type": "azure_deep_noise_suppression"}
    if options.echo_cancellation:
        session["input_audio_echo_cancellation"] = {"type": "server_echo_cancellation"}
    return session


def session_for_backend(
    profile: AgentProfile,
    backend: str,
    registry: ToolRegistry,
    channel: Channel,
    *,
    context: Mapping[str, str] | None = None,
    handoff: bool = False,
) -> dict[str, Any]:
    """`profile`'s session in the dialect of `backend`, which may not be the profile's own.

    A handoff keeps the call on the backend it is connected to: the specialist's instructions, tools
    and turn detection are rendered for that backend, and its voice options only apply if they fit.
    """
    if backend == "voice-live":
        return voice_live_session(profile, registry, channel, context=context, handoff=handoff)
    return realtime_session(profile, registry, channel, context=context, handoff=handoff)


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
    *,
    backend: str = "realtime",
) -> FunctionCallBody:
    """The response to a tool call, shared by the web endpoint and the bridge's internal one.

    On a handoff the specialist's session carries the conversation's `context` (a campaign's facts,
    what is known about the caller) as the first agent's did, rendered for `backend`, the one the
    conversation is connected to: the call stays there (docs/voice-live.md, "Handoff between backends").
    """
    body: FunctionCallBody = {"call_id": call_id, "output": json.dumps(result.output), "ok": result.ok}
    if result.control:
        body["control"] = result.control.value
    if result.handoff_agent:
        profile = get_profile(result.handoff_agent)
        body["agent"] = profile.name
        body["session"] = session_for_backend(profile, backend, registry, channel, context=context, handoff=True)
    return body

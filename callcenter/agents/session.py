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
    include_voice: bool = True,
    context: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The `session` of a GA `session.update` (or of a client secret request).

    `include_voice=False` is for handoffs: the Realtime API refuses a voice change once the session
    has produced audio, so the specialist keeps the voice the call started with.
    """
    output: dict[str, Any] = {"format": {"type": "audio/pcm", "rate": SAMPLE_RATE}}
    if include_voice:
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
    include_voice: bool = True,
    context: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The `session` of a Voice Live `session.update`.

    Voice Live keeps the flat session of the Realtime preview (`voice`, `turn_detection`,
    `input_audio_format` at the top level, as the `azure-ai-voicelive` SDK's `RequestSession` has it)
    and adds its own fields: Azure voices, noise suppression, echo cancellation, Azure speech input
    transcription. Tool definitions are the same function tools.
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
    if include_voice:
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
    include_voice: bool = True,
    context: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`profile`'s session in the dialect of `backend`, which may not be the profile's own.

    A handoff keeps the call on the backend it is connected to: the specialist's instructions, tools
    and turn detection are rendered for that backend, and its voice options only apply if they fit.
    """
    if backend == "voice-live":
        return voice_live_session(profile, registry, channel, include_voice=include_voice, context=context)
    return realtime_session(profile, registry, channel, include_voice=include_voice, context=context)

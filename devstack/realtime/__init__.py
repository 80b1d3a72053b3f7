"""Offline simulator of the Azure OpenAI Realtime API (GA), for `make run` and the tests.

`build_state` + `create_app` give an ASGI app; `python -m devstack.realtime` serves it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any

from devstack.realtime.agents import AssistantAgent, ScriptedAgent
from devstack.realtime.app import create_app
from devstack.realtime.conversation import Voice
from devstack.realtime.speech import espeak_voice, tone_voice
from devstack.realtime.state import SimulatorState

__all__ = ["SimulatorState", "build_state", "create_app"]


def build_state(
    api_key: str,
    *,
    scenario: str | Path | dict[str, Any] | None = None,
    assistant: bool = False,
    voice: str | Voice = "espeak",
    speedup: float = 4.0,
    late_transcription: float = 0.0,
    seed: int = 0,
) -> SimulatorState:
    """Simulator state for one mode: scripted (`scenario` path or dict) or offline assistant."""
    make_agent: Callable[[], AssistantAgent | ScriptedAgent]
    if assistant:
        make_agent = AssistantAgent
    elif isinstance(scenario, dict):
        spec = scenario
        ScriptedAgent(spec)  # validate once, up front

        def make_agent() -> ScriptedAgent:
            return ScriptedAgent(spec)
    else:
        path = scenario
        if path is None:
            ScriptedAgent({})

        def make_agent() -> ScriptedAgent:
            return ScriptedAgent.from_file(path) if path is not None else ScriptedAgent({})

        make_agent()  # fail at start-up on a bad file, not on the first call
    speak = voice if callable(voice) else {"espeak": espeak_voice, "tone": tone_voice}[voice]
    return SimulatorState(
        api_key=api_key,
        make_agent=make_agent,
        voice=speak,
        speedup=speedup,
        late_transcription=late_transcription,
        random=Random(seed),
    )

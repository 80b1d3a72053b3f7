"""Agent profiles rendered as Realtime and Voice Live sessions; the per-agent backend setting."""

from __future__ import annotations

import azure.ai.voicelive.models as vl
import pytest

from callcenter.agents.profiles import get_profile, list_profiles
from callcenter.agents.session import session_for_backend, voice_live_session
from callcenter.config import SettingError, get_settings, load_settings
from callcenter.tools.catalog import get_registry
from callcenter.tools.registry import Channel
from devstack.realtime.voicelive import validate_session


@pytest.mark.parametrize("agent", [profile.name for profile in list_profiles()])
def test_every_agent_renders_a_voice_live_session_the_service_and_the_sdk_accept(agent: str) -> None:
    session = voice_live_session(get_profile(agent), get_registry(), Channel.PHONE, context={"name": "Ada"})
    validate_session(session)  # the simulator's strict Voice Live schema
    parsed = vl.RequestSession(session)
    assert isinstance(parsed.turn_detection, vl.AzureSemanticVad)
    assert parsed.input_audio_noise_reduction.type == "azure_deep_noise_suppression"
    assert parsed.input_audio_echo_cancellation.type == "server_echo_cancellation"
    assert session["voice"] == {"type": "azure-standard", "name": "en-US-Ava:DragonHDLatestNeural"}
    assert "Ada" in session["instructions"] and "type" not in session and "audio" not in session


def test_openai_voice_names_become_openai_voices_and_handoffs_carry_no_voice() -> None:
    from dataclasses import replace

    profile = get_profile("retail")
    openai_voiced = replace(profile, voice_live=replace(profile.voice_live, voice="verse", noise_suppression=False))
    session = voice_live_session(openai_voiced, get_registry(), Channel.PHONE)
    assert session["voice"] == {"type": "openai", "name": "verse"} and "input_audio_noise_reduction" not in session
    handoff = session_for_backend(profile, "voice-live", get_registry(), Channel.PHONE, handoff=True)
    assert "voice" not in handoff and "order_status" in {tool["name"] for tool in handoff["tools"]}
    realtime = session_for_backend(profile, "realtime", get_registry(), Channel.PHONE, handoff=True)
    assert realtime["type"] == "realtime" and "voice" not in realtime["audio"]["output"]


def test_agent_backends_moves_an_agent_and_its_summary_shows_backend_and_voice(monkeypatch) -> None:
    monkeypatch.setenv("AGENT_BACKENDS", "healthcare=voice-live")
    get_settings.cache_clear()
    try:
        assert get_profile("healthcare").summary()["backend"] == "voice-live"
        assert get_profile("healthcare").summary()["voice"] == "en-US-Ava:DragonHDLatestNeural"
        assert get_profile("telecom").summary()["backend"] == "realtime"
        monkeypatch.delenv("AGENT_BACKENDS")
        get_settings.cache_clear()
        assert get_profile("healthcare").summary()["voice"] == "shimmer"
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("value", ["healthcare", "healthcare=azure", "=voice-live"])
def test_a_malformed_agent_backends_setting_names_the_setting(value: str) -> None:
    with pytest.raises(SettingError, match="AGENT_BACKENDS"):
        load_settings({"AGENT_BACKENDS": value})

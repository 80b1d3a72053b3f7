"""The simulator's Voice Live endpoint: the official `azure-ai-voicelive` SDK as its client, strict validation."""

from __future__ import annotations

import json
import typing
from typing import Any

import azure.ai.voicelive.models as vl
import azure.ai.voicelive.models._models as sdk_models
import pytest
from azure.ai.voicelive.aio import connect as voice_live_connect
from azure.core.credentials import AzureKeyCredential
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from devstack.realtime import voicelive
from tests.devstack.realtime.harness import API_KEY, running_simulator
from tests.devstack.realtime.test_simulator import LOUD, QUIET, next_of

VERSION = "2026-04-10"


def vl_url(base: str, version: str = VERSION) -> str:
    return base.replace("http://", "ws://") + f"/voice-live/realtime?api-version={version}&model=gpt-realtime"


def sdk_fields(model: type) -> set[str]:
    """The wire names of an SDK model's fields (the model maps them once it has been built)."""
    model()
    return {f._rest_name for f in model._attr_to_rest_field.values()}  # type: ignore[attr-defined]


def sdk_literals(model: type, name: str) -> set[str]:
    """The literal values an SDK model's field names in its type (e.g. AudioNoiseReduction.type)."""
    namespace = {**vars(sdk_models), "_models": vl}  # the SDK annotations name the models package
    hint = typing.get_type_hints(model, globalns=namespace)[name]
    found: set[str] = set()
    for arg in typing.get_args(hint):  # Literal["a"] or Union[Literal["a"], Literal["b"], str]
        found.update(a for a in (typing.get_args(arg) if not isinstance(arg, str) else (arg,)) if isinstance(a, str))
    return found


def test_simulator_schema_is_the_sdk_models() -> None:
    assert sdk_fields(vl.RequestSession) == voicelive.SESSION_FIELDS
    kinds = {"server_vad": vl.ServerVad, "azure_semantic_vad": vl.AzureSemanticVad}
    kinds |= {"azure_semantic_vad_en": vl.AzureSemanticVadEn}
    kinds |= {"azure_semantic_vad_multilingual": vl.AzureSemanticVadMultilingual}
    assert set(voicelive.TURN_DETECTION_FIELDS) == set(kinds)
    for kind, model in kinds.items():
        assert voicelive.TURN_DETECTION_FIELDS[kind] == sdk_fields(model), kind
    assert sdk_literals(vl.AudioNoiseReduction, "type") == voicelive.NOISE_REDUCTION_KINDS
    assert sdk_literals(vl.AudioEchoCancellation, "type") == voicelive.ECHO_CANCELLATION_KINDS
    assert sdk_literals(vl.AudioInputTranscriptionOptions, "model") == voicelive.TRANSCRIPTION_MODELS
    assert {str(v.value) for v in vl.AzureVoiceType} - {"avatar-voice-sync"} == voicelive.AZURE_VOICE_KINDS
    assert {str(v.value) for v in vl.OpenAIVoiceName} >= voicelive.OPENAI_VOICES
    server_events = {str(v.value) for v in vl.ServerEventType}
    assert set(voicelive.SERVER_EVENT_NAMES.values()) <= server_events


async def test_the_official_sdk_runs_a_turn_with_azure_voice_semantic_vad_and_noise_suppression() -> None:
    session = vl.RequestSession(
        instructions="Be brief.",
        voice=vl.AzureStandardVoice(name="en-US-Ava:DragonHDLatestNeural"),
        turn_detection=vl.AzureSemanticVad(threshold=0.5, silence_duration_ms=200),
        input_audio_noise_reduction=vl.AudioNoiseReduction(type="azure_deep_noise_suppression"),
        input_audio_echo_cancellation=vl.AudioEchoCancellation(),
        input_audio_transcription=vl.AudioInputTranscriptionOptions(model="azure-speech"),
    )
    scenario = {"turns": [{"caller": "hello there", "agent": "Hi."}]}
    async with (
        running_simulator(scenario) as (state, base),
        voice_live_connect(
            endpoint=base, credential=AzureKeyCredential(API_KEY), model="gpt-realtime", api_version=VERSION
        ) as conn,
    ):
        await conn.session.update(session=session)
        seen: list[str] = []
        updated: Any = None
        async for event in conn:
            seen.append(str(event.type))
            if event.type == "session.updated":
                updated = event.session
                for _ in range(10):
                    await conn.input_audio_buffer.append(audio=LOUD)
                for _ in range(30):
                    await conn.input_audio_buffer.append(audio=QUIET)
            if event.type == "response.done" or len(seen) > 400:
                break
    assert state.dialects == ["voice-live"]
    assert updated["voice"] == {"type": "azure-standard", "name": "en-US-Ava:DragonHDLatestNeural"}
    assert isinstance(updated.turn_detection, vl.AzureSemanticVad)  # the SDK parsed the kind back
    assert updated.input_audio_noise_reduction.type == "azure_deep_noise_suppression"
    assert "response.audio.delta" in seen and "response.audio_transcript.done" in seen
    assert not any(kind.startswith("response.output_audio") for kind in seen)  # GA names are not Voice Live's


@pytest.mark.parametrize(
    ("session", "param"),
    [
        ({"type": "realtime", "instructions": "x"}, "session.type"),  # the GA shape
        ({"audio": {"output": {"voice": "alloy"}}}, "session.audio"),
        ({"voice": {"type": "azure-standard", "name": "Ava"}}, "session.voice.name"),
        ({"voice": "nobody"}, "session.voice"),
        ({"turn_detection": {"type": "semantic_vad"}}, "session.turn_detection.type"),
        ({"turn_detection": {"type": "server_vad", "eagerness": "auto"}}, "session.turn_detection.eagerness"),
        ({"turn_detection": {"type": "azure_semantic_vad", "threshold": 3}}, "session.turn_detection.threshold"),
        ({"input_audio_noise_reduction": {"type": "loud"}}, "session.input_audio_noise_reduction.type"),
        ({"input_audio_echo_cancellation": {"type": "client"}}, "session.input_audio_echo_cancellation.type"),
        ({"input_audio_transcription": {"model": "azure-fast"}}, "session.input_audio_transcription.model"),
        ({"input_audio_sampling_rate": 8000}, "session.input_audio_sampling_rate"),
        ({"tools": [{"name": "x"}]}, "session.tools"),
    ],
)
async def test_sessions_voice_live_refuses_get_an_error_naming_the_field(session: dict[str, Any], param: str) -> None:
    async with (
        running_simulator() as (_, base),
        connect(vl_url(base), additional_headers={"api-key": API_KEY}) as socket,
    ):
        created = await next_of(socket, "session.created")
        assert "audio" not in created["session"] and created["session"]["voice"]["type"] == "openai"
        await socket.send(json.dumps({"type": "session.update", "event_id": "e1", "session": session}))
        error = await next_of(socket, "error")
        assert error["error"]["type"] == "invalid_request_error" and error["error"]["param"] == param
        await socket.send(json.dumps({"type": "session.update", "session": {"instructions": "Still here."}}))
        assert (await next_of(socket, "session.updated"))["session"]["instructions"] == "Still here."


async def test_unknown_api_version_and_bad_key_are_refused_at_the_handshake() -> None:
    async with running_simulator() as (_, base):
        with pytest.raises(InvalidStatus) as caught:
            async with connect(vl_url(base, "2024-01-01"), additional_headers={"api-key": API_KEY}):
                pass
        assert caught.value.response.status_code == 400
        with pytest.raises(InvalidStatus) as caught:
            async with connect(vl_url(base), additional_headers={"api-key": "wrong"}):
                pass
        assert caught.value.response.status_code == 401


async def test_an_azure_openai_ephemeral_key_does_not_open_voice_live() -> None:
    async with running_simulator() as (state, base):
        key, _ = state.mint_ephemeral_key(60, {})
        with pytest.raises(InvalidStatus) as caught:
            async with connect(vl_url(base), additional_headers={"Authorization": f"Bearer {key}"}):
                pass
        assert caught.value.response.status_code == 401
        url = base.replace("http://", "ws://") + "/openai/v1/realtime?model=gpt-realtime"
        async with connect(url, additional_headers={"Authorization": f"Bearer {key}"}) as socket:
            assert (await next_of(socket, "session.created"))["session"]["type"] == "realtime"

"""Voice Live contracts the bridge relies on, checked against the `azure-ai-voicelive` SDK's models.

The session is the one the function app renders for an agent on Voice Live (Azure voice, Azure
semantic VAD, noise suppression, echo cancellation, Azure speech transcription); the bridge's own
codec (`parse_server_event(..., voice_live=True)`) must read the audio, transcript and usage the
bridge acts on; a session Voice Live refuses leaves the session usable.
"""

from __future__ import annotations

import json
from typing import Any

from bridge import realtime_protocol as rt
from bridge.events import AgentAudio, AgentTranscript, ResponseDone
from callcenter.agents.profiles import get_profile
from callcenter.agents.session import voice_live_session
from callcenter.tools.catalog import get_registry
from callcenter.tools.registry import Channel
from tests.contract.conftest import require_real
from tests.contract.realtime import events_until, next_of
from tests.contract.voice_live import sdk_checked, voice_live_socket


def agent_session() -> dict[str, Any]:
    session = voice_live_session(get_profile("telecom"), get_registry(), Channel.PHONE)
    return {**session, "instructions": "You are a terse test agent. Follow the user's instructions exactly."}


async def configured(socket: Any) -> dict[str, Any]:
    sdk_checked([await next_of(socket, "session.created")])
    await socket.send(json.dumps({"type": "session.update", "session": agent_session()}))
    return sdk_checked(await events_until(socket, "session.updated"))[-1]["session"]


async def test_the_agents_voice_live_session_is_accepted_as_sent(target: str) -> None:
    require_real("voice-live", target)
    async with voice_live_socket(target) as socket:
        session = await configured(socket)
    sent = agent_session()
    assert session["voice"]["name"] == sent["voice"]["name"] and session["voice"]["type"] == "azure-standard"
    assert session["turn_detection"]["type"] == "azure_semantic_vad"
    assert session["input_audio_noise_reduction"]["type"] == "azure_deep_noise_suppression"
    assert session["input_audio_echo_cancellation"]["type"] == "server_echo_cancellation"
    assert {tool["name"] for tool in session["tools"]} == {tool["name"] for tool in sent["tools"]}


async def test_a_turn_gives_the_bridge_audio_a_transcript_and_usage(target: str) -> None:
    require_real("voice-live", target)
    async with voice_live_socket(target, turns=[{"caller": "say hello", "agent": "Hello."}]) as socket:
        await configured(socket)
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Say hello."}]}
        await socket.send(json.dumps({"type": "conversation.item.create", "item": item}))
        await socket.send(json.dumps({"type": "response.create"}))
        events = sdk_checked(await events_until(socket, "response.done"))
    seen = [rt.parse_server_event(json.dumps(event), voice_live=True) for event in events]
    assert any(isinstance(event, AgentAudio) and event.audio_b64 for event in seen)
    assert any(isinstance(event, AgentTranscript) and event.text for event in seen)
    done = [event for event in seen if isinstance(event, ResponseDone)]
    assert done and done[0].status == "completed" and (done[0].usage or {}).get("total_tokens", 0) > 0


async def test_a_refused_session_update_names_the_field_and_the_session_goes_on(target: str) -> None:
    require_real("voice-live", target)
    async with voice_live_socket(target) as socket:
        await configured(socket)
        bad = {"turn_detection": {"type": "azure_semantic_vad", "threshold": 7}}
        await socket.send(json.dumps({"type": "session.update", "session": bad}))
        error = sdk_checked([await next_of(socket, "error")])[0]["error"]
        assert error["type"] == "invalid_request_error"
        await socket.send(json.dumps({"type": "session.update", "session": {"instructions": "Still here."}}))
        assert (await next_of(socket, "session.updated"))["session"]["instructions"] == "Still here."

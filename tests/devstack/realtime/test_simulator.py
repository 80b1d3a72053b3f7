"""The Realtime simulator speaks the GA protocol over a real WebSocket and refuses what Azure refuses."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from devstack.realtime.agents import choose_tool, fill_arguments
from tests.devstack.realtime.harness import API_KEY, running_simulator


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/openai/v1/realtime?model=gpt-realtime"


async def next_of(socket: ClientConnection, wanted: str, limit: int = 400) -> dict[str, Any]:
    """Read events until one of type `wanted` (bounded)."""
    for _ in range(limit):
        event = json.loads(await socket.recv(decode=True))
        if event["type"] == wanted:
            return event
    raise AssertionError(f"no {wanted} within {limit} events")


def pcm_b64(samples: np.ndarray) -> str:
    return base64.b64encode(samples.astype("<i2").tobytes()).decode()


LOUD = pcm_b64(np.rint(8000 * np.sin(2 * np.pi * 300 * np.arange(480) / 24000)))
QUIET = pcm_b64(np.zeros(480))


async def test_websocket_without_a_valid_key_is_refused_with_401() -> None:
    async with running_simulator() as (_, base):
        with pytest.raises(InvalidStatus) as caught:
            async with connect(ws_url(base), additional_headers={"api-key": "wrong"}):
                pass
        assert caught.value.response.status_code == 401
        assert json.loads(caught.value.response.body)["error"]["code"] == "invalid_api_key"


async def test_unknown_and_malformed_events_get_error_events_and_the_session_goes_on() -> None:
    async with (
        running_simulator() as (_, base),
        connect(ws_url(base), additional_headers={"api-key": API_KEY}) as socket,
    ):
        assert (await next_of(socket, "session.created"))["session"]["type"] == "realtime"
        await socket.send('{"type": "response.audio.delta", "event_id": "e1"}')
        error = await next_of(socket, "error")
        assert error["error"]["param"] == "type" and error["error"]["event_id"] == "e1"  # echoed, as the service does
        await socket.send("not json")
        assert (await next_of(socket, "error"))["error"]["code"] == "invalid_json"
        await socket.send('{"type": "input_audio_buffer.append", "audio": "%%%"}')
        assert (await next_of(socket, "error"))["error"]["param"] == "audio"
        await socket.send('{"type": "conversation.item.truncate", "item_id": "x", "content_index": 0}')
        assert (await next_of(socket, "error"))["error"]["code"] == "missing_required_parameter"
        await socket.send(
            json.dumps({"type": "session.update", "session": {"type": "realtime", "instructions": "Be brief."}})
        )
        assert (await next_of(socket, "session.updated"))["session"]["instructions"] == "Be brief."


async def test_server_vad_detects_speech_and_a_scripted_turn_answers_with_audio_and_usage() -> None:
    scenario = {"turns": [{"caller": "hello there", "agent": "Hi!"}]}
    async with (
        running_simulator(scenario) as (_, base),
        connect(ws_url(base), additional_headers={"api-key": API_KEY}) as socket,
    ):
        vad = {"type": "server_vad", "prefix_padding_ms": 40}
        audio = {"input": {"transcription": {"model": "whisper-1"}, "turn_detection": vad}}
        await socket.send(json.dumps({"type": "session.update", "session": {"type": "realtime", "audio": audio}}))
        await next_of(socket, "session.updated")
        for audio in [QUIET] * 5 + [LOUD] * 10 + [QUIET] * 30:
            await socket.send(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
        started = await next_of(socket, "input_audio_buffer.speech_started")
        assert started["audio_start_ms"] == 100 - 40  # where speech began, minus the prefix padding kept
        stopped = await next_of(socket, "input_audio_buffer.speech_stopped")
        assert stopped["audio_end_ms"] == 300
        heard = await next_of(socket, "conversation.item.input_audio_transcription.completed")
        assert heard["transcript"] == "hello there"
        delta = await next_of(socket, "response.output_audio.delta")
        assert len(base64.b64decode(delta["delta"])) > 0
        transcript = await next_of(socket, "response.output_audio_transcript.done")
        assert transcript["transcript"] == "Hi!"
        done = await next_of(socket, "response.done")
        assert done["response"]["status"] == "completed" and done["response"]["usage"]["total_tokens"] > 0


async def test_response_cancel_and_truncate_follow_the_service_rules() -> None:
    async with (
        running_simulator({"greeting": "x" * 200}, speedup=1.0) as (sim, base),
        connect(ws_url(base), additional_headers={"api-key": API_KEY}) as socket,
    ):
        await socket.send('{"type": "response.create"}')
        delta = await next_of(socket, "response.output_audio.delta")
        await socket.send('{"type": "response.create"}')
        assert (await next_of(socket, "error"))["error"]["code"] == "conversation_already_has_active_response"
        await socket.send('{"type": "response.cancel"}')
        assert (await next_of(socket, "response.done"))["response"]["status"] == "cancelled"
        item_id = delta["item_id"]
        sent_ms = len(sim.conversations[0].items[item_id].audio) // 48
        too_far = {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": sent_ms + 1000,
        }
        await socket.send(json.dumps(too_far))
        assert (await next_of(socket, "error"))["error"]["param"] == "audio_end_ms"
        await socket.send(json.dumps(too_far | {"audio_end_ms": 50}))
        assert (await next_of(socket, "conversation.item.truncated"))["audio_end_ms"] == 50


async def test_function_calls_and_their_outputs_drive_the_next_response() -> None:
    scenario = {
        "turns": [
            {"caller": "x", "tool_calls": [{"name": "lookup", "arguments": {"q": 1}}], "after_tools": "Got {output}."}
        ]
    }
    async with (
        running_simulator(scenario) as (_, base),
        connect(ws_url(base), additional_headers={"api-key": API_KEY}) as socket,
    ):
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "look it up"}]}
        await socket.send(json.dumps({"type": "conversation.item.create", "item": item}))
        await socket.send('{"type": "response.create"}')
        call = await next_of(socket, "response.function_call_arguments.done")
        assert call["name"] == "lookup" and json.loads(call["arguments"]) == {"q": 1}
        await next_of(socket, "response.done")
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": '{"answer": 42}'}
        await socket.send(json.dumps({"type": "conversation.item.create", "item": output}))
        await socket.send('{"type": "response.create"}')
        assert (await next_of(socket, "response.output_audio_transcript.done"))["transcript"] == "Got answer 42."


async def test_client_secrets_mint_ephemeral_keys_that_open_sessions() -> None:
    async with running_simulator() as (_, base), httpx.AsyncClient(base_url=base) as http:
        url = "/openai/v1/realtime/client_secrets"
        assert (await http.post(url, json={"session": {"type": "realtime"}})).status_code == 401
        bad = await http.post(
            url,
            headers={"api-key": API_KEY},
            json={"session": {"type": "realtime"}, "expires_after": {"anchor": "created_at", "seconds": 5}},
        )
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "expires_after.seconds"
        minted = await http.post(
            url,
            headers={"api-key": API_KEY},
            json={"session": {"type": "realtime", "model": "gpt-realtime", "instructions": "hi"}},
        )
        body = minted.json()
        assert minted.status_code == 200 and body["value"].startswith("ek_") and body["session"]["instructions"] == "hi"
        async with connect(ws_url(base), additional_headers={"Authorization": f"Bearer {body['value']}"}) as socket:
            assert (await next_of(socket, "session.created"))["type"] == "session.created"


async def test_chat_completions_return_a_deterministic_extractive_summary() -> None:
    messages = [
        {"role": "system", "content": "Summarize the call."},
        {"role": "user", "content": "My internet has been down since Monday. The router light is red."},
        {"role": "assistant", "content": "I reset your router remotely. The internet should be back in five minutes."},
    ]
    async with running_simulator() as (_, base), httpx.AsyncClient(base_url=base, headers={"api-key": API_KEY}) as http:
        first = await http.post("/openai/deployments/gpt-4o-mini/chat/completions", json={"messages": messages})
        second = await http.post("/openai/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": messages})
        refused = await http.post("/openai/v1/chat/completions", json={"model": "m", "messages": []})
    text = first.json()["choices"][0]["message"]["content"]
    assert text == second.json()["choices"][0]["message"]["content"]
    assert "internet" in text and "Summarize" not in text
    assert first.json()["usage"]["total_tokens"] > 0
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "messages"


def test_assistant_picks_the_tool_whose_words_match_the_caller() -> None:
    tools = [
        {
            "name": "check_balance",
            "description": "Look up the account balance",
            "parameters": {"type": "object", "required": ["account"], "properties": {"account": {"type": "string"}}},
        },
        {"name": "escalate_to_human", "description": "Transfer the caller to a human agent"},
    ]
    assert choose_tool("I want to talk to a human", tools)["name"] == "escalate_to_human"
    chosen = choose_tool("what is the balance on account 5521", tools)
    assert chosen["name"] == "check_balance" and fill_arguments("balance of account 5521", chosen) == {
        "account": "5521"
    }
    assert choose_tool("the weather is nice", tools) is None


async def test_offline_assistant_speaks_with_espeak_and_hears_with_pocketsphinx() -> None:
    from devstack.realtime.speech import espeak_voice, shared_listener

    speech = espeak_voice("Hello, I would like to check my balance.")
    assert len(speech) > 48000  # more than half a second of 24 kHz audio
    assert np.abs(np.frombuffer(speech, dtype="<i2")).max() > 1000
    assert isinstance(shared_listener().transcribe(speech), str)
    tools = [
        {
            "type": "function",
            "name": "check_balance",
            "description": "account balance",
            "parameters": {"type": "object"},
        }
    ]
    async with (
        running_simulator(assistant=True, voice=espeak_voice) as (_, base),
        connect(ws_url(base), additional_headers={"api-key": API_KEY}) as socket,
    ):
        await socket.send(json.dumps({"type": "session.update", "session": {"type": "realtime", "tools": tools}}))
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "check my balance"}]}
        await socket.send(json.dumps({"type": "conversation.item.create", "item": item}))
        await socket.send('{"type": "response.create"}')
        assert (await next_of(socket, "response.function_call_arguments.done"))["name"] == "check_balance"

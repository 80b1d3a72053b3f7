"""End-to-end relay over loopback: fake ACS -> bridge -> Realtime simulator, and back.

Every scenario runs twice: with the agent on Azure OpenAI Realtime and on Azure AI Voice Live (the
simulator's `/voice-live/realtime`, which speaks Voice Live's session and event names).
"""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from bridge.acs_protocol import frame_bytes
from tests.bridge import harness
from tests.bridge.harness import FakeFunctionApp, acs_call, audio_frame, running_stack, session_for, wait_until


@pytest.fixture(autouse=True, params=["realtime", "voice-live"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The speech backend of the scenario's agent."""
    monkeypatch.setattr(harness, "DEFAULT_BACKEND", request.param)
    return str(request.param)


QUIET = 60  # amplitude well under the simulator's VAD threshold: audio flows, no caller turn starts


def quiet_frame(index: int, rate: int = 24000) -> bytes:
    """A frame that identifies itself: sample 0 carries the frame index, the rest a fixed ramp."""
    samples = np.full(frame_bytes(rate) // 2, (index % 97) - 48, dtype="<i2")
    samples[0] = index % QUIET
    samples[1] = index // QUIET
    return samples.tobytes()


def loud_frame(rate: int = 24000) -> bytes:
    t = np.arange(frame_bytes(rate) // 2) / rate
    return np.rint(8000 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()


async def test_ten_second_call_is_relayed_frame_by_frame_without_loss_or_reordering() -> None:
    async with running_stack({"greeting": "ignored"}) as stack, acs_call(stack, "call-10s") as acs:
        frames = [quiet_frame(i) for i in range(500)]  # 500 x 20 ms = 10 s
        for frame in frames:
            await acs.socket.send(audio_frame(frame))
        await wait_until(lambda: len(stack.simulator.conversations) == 1)
        conversation = stack.simulator.conversations[0]
        await wait_until(lambda: len(conversation.input_audio) >= 500 * 960)
        assert bytes(conversation.input_audio) == b"".join(frames)

        # Downlink: the greeting the model streamed arrives in 20 ms frames, byte for byte.
        greeting = next(i for i in conversation.items.values() if i.role == "assistant")
        padded = bytes(greeting.audio) + bytes(-len(greeting.audio) % 960)
        await acs.wait_for(lambda: len(acs.audio()) >= len(padded))
        assert acs.audio() == padded
        assert all(len(m["audioData"]["data"]) == 1280 for m in acs.received if m["kind"] == "AudioData")
    assert greeting.text == "Hi"  # the bridge asked for the configured greeting, quoted


async def test_sixteen_khz_call_is_resampled_cleanly_both_ways() -> None:
    async with running_stack() as stack, acs_call(stack, "call-16k", rate=16000) as acs:
        rate, seconds = 16000, 2
        t = np.arange(rate * seconds) / rate
        tone = np.rint(200 * np.sin(2 * np.pi * 1000 * t)).astype("<i2").tobytes()
        for start in range(0, len(tone), 640):
            await acs.socket.send(audio_frame(tone[start : start + 640]))
        await wait_until(lambda: len(stack.simulator.conversations) == 1)
        conversation = stack.simulator.conversations[0]
        expected = seconds * 24000 * 2
        await wait_until(lambda: len(conversation.input_audio) >= expected - 64)
        heard = np.frombuffer(bytes(conversation.input_audio), dtype="<i2").astype(float)[200:-200]
        # Fit a 1 kHz sine at 24 kHz; what is left over is resampling error (clicks would show here).
        n = np.arange(200, 200 + len(heard)) / 24000
        basis = np.stack([np.sin(2 * np.pi * 1000 * n), np.cos(2 * np.pi * 1000 * n)], axis=1)
        coef, *_ = np.linalg.lstsq(basis, heard, rcond=None)
        residual = heard - basis @ coef
        assert np.hypot(*coef) > 190
        assert np.sqrt(np.mean(residual**2)) < 2.0  # within quantisation noise of a 200-amplitude tone
        assert np.abs(residual).max() < 6.0

        # Agent audio reaches a 16 kHz caller as 640-byte frames.
        await acs.wait_for(lambda: len(acs.audio()) > 0)
        assert all(len(m["audioData"]["data"]) == 856 for m in acs.received if m["kind"] == "AudioData")


async def test_caller_barge_in_stops_playback_and_truncates_at_the_played_position() -> None:
    scenario = {"turns": [{"caller": "stop", "agent": "ok"}]}
    fapp = FakeFunctionApp(greeting="x" * 100)  # 100 chars of tone voice = 6 s of agent speech
    async with running_stack(scenario, fapp) as stack, acs_call(stack, "call-barge") as acs:
        await acs.wait_for(lambda: acs.kinds().count("AudioData") >= 25)  # caller hears 0.5 s
        for _ in range(10):
            await acs.socket.send(audio_frame(loud_frame()))
        await acs.wait_for(lambda: "StopAudio" in acs.kinds())
        conversation = stack.simulator.conversations[0]
        greeting = next(i for i in conversation.items.values() if i.role == "assistant")
        await wait_until(lambda: greeting.truncated_ms is not None)
        heard_ms = acs.heard_ms_before_stop()
        assert abs(greeting.truncated_ms - heard_ms) <= 20  # within one frame
        assert heard_ms < 6000 and len(greeting.audio) // 48 > heard_ms  # queued audio was dropped
        # Nothing of the interrupted greeting is played after StopAudio.
        await asyncio.sleep(0.3)
        assert "AudioData" not in acs.kinds()[acs.kinds().index("StopAudio") :]
        await wait_until(lambda: fapp.events("call-barge", "barge_in"))
        assert abs(fapp.events("call-barge", "barge_in")[0]["played_ms"] - heard_ms) <= 20


async def speak(acs: object, frames: int = 10, silence: int = 15) -> None:
    """One caller utterance: loud frames, then enough silence for the VAD to end the turn."""
    for _ in range(frames):
        await acs.socket.send(audio_frame(loud_frame()))  # type: ignore[attr-defined]
    for i in range(silence):
        await acs.socket.send(audio_frame(quiet_frame(i)))  # type: ignore[attr-defined]


async def test_tool_call_round_trip_reaches_the_function_app_and_the_model_answers(backend: str) -> None:
    async def get_balance(body: dict) -> tuple[int, dict]:
        return 200, {"call_id": body["call_id"], "output": json.dumps({"balance": 12})}

    scenario = {
        "turns": [
            {
                "caller": "what is my balance",
                "agent": "One moment.",
                "tool_calls": [{"name": "get_balance", "arguments": {"account": "42"}}],
                "after_tools": "Your {output}.",
            }
        ]
    }
    fapp = FakeFunctionApp(tools={"get_balance": get_balance})
    async with running_stack(scenario, fapp) as stack, acs_call(stack, "call-tool") as acs:
        await wait_until(lambda: len(stack.simulator.conversations) == 1)
        await speak(acs)
        conversation = stack.simulator.conversations[0]
        await wait_until(lambda: any(i.text == "Your balance 12." for i in conversation.items.values()))
        call_id, request = fapp.tool_requests[0]
        assert call_id == "call-tool"
        assert request["name"] == "get_balance" and json.loads(request["arguments"]) == {"account": "42"}
        outputs = [i for i in conversation.items.values() if i.type == "function_call_output"]
        assert [o.output for o in outputs] == ['{"balance": 12}']
        await wait_until(
            lambda: any(e.get("text") == "Your balance 12." for e in fapp.events("call-tool", "transcript"))
        )
    events = fapp.events("call-tool")
    tool_events = [e for e in events if e["type"] == "tool_call"]
    assert tool_events[0]["ok"] is True and tool_events[0]["arguments"] == {"account": "42"}
    transcripts = {(e["role"], e["text"]) for e in events if e["type"] == "transcript"}
    assert ("caller", "what is my balance") in transcripts and ("agent", "Your balance 12.") in transcripts
    assert any(e["type"] == "usage" and e["usage"]["total_tokens"] > 0 for e in events)
    assert events[-1]["type"] == "media_ended" and events[-1]["reason"] == "caller_hung_up"
    assert fapp.keys_seen == {"test-function-key"}
    assert stack.simulator.dialects == [backend]  # the model session was opened on the agent's backend
    assert {e["backend"] for e in events if e["type"] == "usage"} == {backend}  # priced per backend


async def test_failing_and_slow_tools_give_the_model_a_structured_error() -> None:
    async def broken(body: dict) -> tuple[int, dict]:
        return 422, {"error": {"code": "invalid_arguments", "message": "account is required"}}

    async def slow(body: dict) -> tuple[int, dict]:
        await asyncio.sleep(2)
        return 200, {"call_id": body["call_id"], "output": "{}"}

    scenario = {
        "turns": [
            {
                "caller": "do both",
                "tool_calls": [{"name": "broken", "arguments": {}}, {"name": "slow", "arguments": {}}],
                "after_tools": "Sorry about that.",
            }
        ]
    }
    fapp = FakeFunctionApp(tools={"broken": broken, "slow": slow})
    async with (
        running_stack(scenario, fapp, tool_timeout_seconds=0.3) as stack,
        acs_call(stack, "call-bad-tool") as acs,
    ):
        await wait_until(lambda: len(stack.simulator.conversations) == 1)
        await speak(acs)
        conversation = stack.simulator.conversations[0]
        await wait_until(lambda: any(i.text == "Sorry about that." for i in conversation.items.values()))
        outputs = [json.loads(i.output) for i in conversation.items.values() if i.type == "function_call_output"]
        codes = sorted(o["error"]["code"] for o in outputs)
        assert codes == ["invalid_arguments", "tool_timeout"]
    tool_events = fapp.events("call-bad-tool", "tool_call")
    assert sorted(e["ok"] for e in tool_events) == [False, False]


async def test_concurrent_calls_stay_isolated() -> None:
    async with running_stack() as stack:
        calls = [f"call-iso-{n}" for n in range(6)]

        async def run(n: int, call_id: str) -> None:
            frame = np.full(480, n + 1, dtype="<i2").tobytes()  # each call's own constant signal
            async with acs_call(stack, call_id) as acs:
                for _ in range(100):
                    await acs.socket.send(audio_frame(frame))
                await wait_until(lambda: sum(len(c.input_audio) for c in stack.simulator.conversations) >= 0)
                await acs.wait_for(lambda: len(acs.audio()) > 0)
                # hold the call open until every call has relayed its audio
                await wait_until(
                    lambda: (
                        len(stack.simulator.conversations) == len(calls)
                        and all(len(c.input_audio) >= 100 * 960 for c in stack.simulator.conversations)
                    ),
                    20,
                )

        await asyncio.gather(*(run(n, c) for n, c in enumerate(calls)))
        seen = set()
        for conversation in stack.simulator.conversations:
            values = set(np.frombuffer(bytes(conversation.input_audio), dtype="<i2").tolist())
            assert len(values) == 1, "a model session received audio from another call"
            seen |= values
        assert seen == set(range(1, len(calls) + 1))
        assert sorted(stack.function_app.agent_requests) == sorted(calls)


async def test_dtmf_reaches_the_model_as_text_and_the_function_app_as_an_event() -> None:
    async with running_stack() as stack, acs_call(stack, "call-dtmf") as acs:
        await wait_until(lambda: len(stack.simulator.conversations) == 1)
        await acs.wait_for(lambda: len(acs.audio()) > 0)
        await acs.socket.send(json.dumps({"kind": "DtmfData", "dtmfData": {"data": "5"}}))
        conversation = stack.simulator.conversations[0]
        await wait_until(lambda: any("5 key" in i.text for i in conversation.items.values() if i.role == "user"))
    await wait_until(lambda: stack.function_app.events("call-dtmf", "dtmf"))
    assert stack.function_app.events("call-dtmf", "dtmf")[0]["digit"] == "5"


async def test_handoff_updates_the_live_session_with_the_new_agent(backend: str) -> None:
    async def transfer(body: dict) -> tuple[int, dict]:
        assert body["backend"] == backend  # the function app renders the session for this backend
        session = session_for(backend, "You are billing.")
        return 200, {"call_id": body["call_id"], "output": '{"ok": true}', "session": session, "agent": "billing"}

    scenario = {"turns": [{"caller": "billing please", "tool_calls": [{"name": "handoff_to_agent", "arguments": {}}]}]}
    fapp = FakeFunctionApp(tools={"handoff_to_agent": transfer})
    async with running_stack(scenario, fapp) as stack, acs_call(stack, "call-handoff") as acs:
        await wait_until(lambda: len(stack.simulator.conversations) == 1)
        await speak(acs)
        conversation = stack.simulator.conversations[0]
        await wait_until(lambda: conversation.session["instructions"] == "You are billing.")
    await wait_until(lambda: fapp.events("call-handoff", "agent_changed"))
    assert fapp.events("call-handoff", "agent_changed")[0]["agent"] == "billing"


async def test_a_voice_live_agent_without_a_voice_live_endpoint_fails_the_call_naming_the_setting(
    backend: str,
) -> None:
    if backend != "voice-live":
        pytest.skip("only a Voice Live agent needs VOICE_LIVE_ENDPOINT")
    async with running_stack(voice_live_endpoint="") as stack, acs_call(stack, "call-no-vl"):
        await wait_until(lambda: stack.function_app.events("call-no-vl", "model_failed"))
    failed = stack.function_app.events("call-no-vl", "model_failed")[0]
    assert "VOICE_LIVE_ENDPOINT" in failed["reason"] and stack.simulator.conversations == []

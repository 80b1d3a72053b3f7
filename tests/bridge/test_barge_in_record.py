"""Barge-in and late transcripts under the GA service's real event sequence: the record keeps what was heard.

The simulator closes a cut-off response as the service does (audio done, transcript done, content part
done, item done `incomplete`, response.done `cancelled` with status_details), streams the transcript
with the audio, and can send the caller's transcription after the response started.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.bridge.harness import FakeFunctionApp, acs_call, running_stack, wait_until
from tests.bridge.test_relay import speak

WORDS = " ".join(f"w{i}" for i in range(60))  # tone voice: ~60 ms a character, about 14 s of speech


def record(fapp: FakeFunctionApp, call_id: str) -> list[dict[str, Any]]:
    """The call's events in the order the function app's store keeps them: by (ts, seq)."""
    return sorted(fapp.events(call_id), key=lambda e: (e["ts"], e["seq"]))


def agent_lines(fapp: FakeFunctionApp, call_id: str) -> list[dict[str, Any]]:
    return [e for e in fapp.events(call_id, "transcript") if e["role"] == "agent"]


async def barge_in_after(acs: Any, frames: int) -> None:
    await acs.wait_for(lambda: acs.kinds().count("AudioData") >= frames)
    await speak(acs)
    await acs.wait_for(lambda: "StopAudio" in acs.kinds())


async def test_reply_generated_in_full_then_cut_is_recorded_as_far_as_heard() -> None:
    fapp = FakeFunctionApp(greeting=WORDS)
    scenario = {"turns": [{"caller": "stop", "agent": "Sorry."}]}
    async with running_stack(scenario, fapp) as stack, acs_call(stack, "call-cut-late") as acs:
        await wait_until(lambda: bool(stack.simulator.conversations))
        greeting = None
        for _ in range(1000):  # the model finishes the greeting long before the caller has heard it
            greeting = next((i for i in stack.simulator.conversations[0].items.values() if i.role == "assistant"), None)
            if greeting is not None and greeting.status == "completed":
                break
            await asyncio.sleep(0.01)
        await barge_in_after(acs, 50)  # about one second heard
        await wait_until(lambda: agent_lines(fapp, "call-cut-late"))
        line = agent_lines(fapp, "call-cut-late")[0]
        heard = line["text"].split()
        assert line["interrupted"] is True and 0 < len(heard) < 20
        assert heard == WORDS.split()[: len(heard)]
        barge = fapp.events("call-cut-late", "barge_in")[0]
        assert line["heard_ms"] == barge["played_ms"]
        # The model's own context was cut back to the same words.
        assert greeting is not None
        await wait_until(lambda: greeting.truncated_ms is not None)
        assert greeting.text.split() == heard


async def test_reply_cut_while_still_generated_is_recorded_once_from_the_closing_events() -> None:
    fapp = FakeFunctionApp(greeting=WORDS)
    async with running_stack({"turns": [{"caller": "stop", "agent": "Sorry."}]}, fapp) as stack:
        stack.simulator.speedup = 1.0  # generated at the pace it is played: the cut lands mid-generation
        async with acs_call(stack, "call-cut-early") as acs:
            await barge_in_after(acs, 25)
            await wait_until(lambda: len(agent_lines(fapp, "call-cut-early")) >= 2)  # the cut greeting, then "Sorry."
            await asyncio.sleep(0.3)
            lines = agent_lines(fapp, "call-cut-early")
            assert [line.get("interrupted", False) for line in lines] == [True, False]
            assert lines[1]["text"] == "Sorry."
            assert 0 < len(lines[0]["text"].split()) < 15
            # One barge-in, one truncate, and nothing of the cut greeting played after StopAudio.
            assert len(fapp.events("call-cut-early", "barge_in")) == 1
            assert stack.simulator.received_types.count("conversation.item.truncate") == 1
            done = stack.simulator.conversations[0]
            cut = next(i for i in done.items.values() if i.role == "assistant" and i.truncated_ms is not None)
            assert cut.status == "incomplete"


async def test_caller_transcript_arriving_after_the_reply_is_stored_before_it() -> None:
    fapp = FakeFunctionApp(greeting="Hi")
    scenario = {"turns": [{"caller": "what is my balance", "agent": "It is ten pounds."}]}
    async with running_stack(scenario, fapp) as stack:
        stack.simulator.late_transcription = 1.0  # every caller transcript comes after response.created
        async with acs_call(stack, "call-late-words") as acs:
            await wait_until(lambda: agent_lines(fapp, "call-late-words"))  # the greeting was heard
            await speak(acs)
            await wait_until(lambda: len(agent_lines(fapp, "call-late-words")) >= 2, seconds=15)
        lines = [(e["role"], e["text"]) for e in record(fapp, "call-late-words") if e["type"] == "transcript"]
        assert lines == [("agent", "Hi"), ("caller", "what is my balance"), ("agent", "It is ten pounds.")]

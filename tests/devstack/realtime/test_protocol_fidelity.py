"""The simulator speaks the GA protocol as the service does, checked against the official SDK's types.

Every server event a session emits is validated with the `openai` SDK's `RealtimeServerEvent` model;
the closing sequence of a cut-off response, validation errors and item shapes follow the GA docs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.realtime.realtime_server_event import RealtimeServerEvent
from pydantic import TypeAdapter
from websockets.asyncio.client import ClientConnection, connect

from tests.devstack.realtime.harness import API_KEY, running_simulator
from tests.devstack.realtime.test_simulator import LOUD, QUIET, ws_url

SERVER_EVENT = TypeAdapter(RealtimeServerEvent)
CLOSING = [
    "response.output_audio.done",
    "response.output_audio_transcript.done",
    "response.content_part.done",
    "response.output_item.done",
    "conversation.item.done",
    "response.done",
]


class Session:
    """A WebSocket session that keeps (and SDK-validates) every server event."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.events: list[dict[str, Any]] = []

    async def send(self, event: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(event))

    async def next(self, wanted: str, limit: int = 600) -> dict[str, Any]:
        for _ in range(limit):
            event = json.loads(await self.socket.recv(decode=True))
            SERVER_EVENT.validate_python(event)  # the SDK's own model of the server event
            self.events.append(event)
            if event["type"] == wanted:
                return event
        raise AssertionError(f"no {wanted} within {limit} events")

    def types_after(self, index: int) -> list[str]:
        return [e["type"] for e in self.events[index:]]


async def open_session(base: str) -> Session:
    socket = await connect(ws_url(base), additional_headers={"api-key": API_KEY}, max_size=None)
    session = Session(socket)
    await session.next("session.created")
    return session


async def test_cancelled_response_closes_its_item_and_reports_client_cancelled() -> None:
    async with running_simulator(
        {"greeting": "one two three four five six seven eight nine ten " * 4}, speedup=1.0
    ) as (
        _,
        base,
    ):
        session = await open_session(base)
        await session.send({"type": "response.create"})
        await session.next("response.output_audio_transcript.delta")
        await session.next("response.output_audio.delta")
        mark = len(session.events)
        await session.send({"type": "response.cancel"})
        done = await session.next("response.done")
        closing = [t for t in session.types_after(mark) if t in CLOSING]
        assert closing == CLOSING
        item_done = next(e for e in session.events[mark:] if e["type"] == "response.output_item.done")
        assert item_done["item"]["status"] == "incomplete"
        response = done["response"]
        assert response["status"] == "cancelled"
        assert response["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
        assert [o["id"] for o in response["output"]] == [item_done["item"]["id"]]
        spoken = next(e for e in session.events[mark:] if e["type"] == "response.output_audio_transcript.done")
        assert 0 < len(spoken["transcript"].split()) < 40  # what was generated before the cancel, not all
        await session.socket.close()


async def test_server_vad_barge_in_cancels_with_reason_turn_detected() -> None:
    async with running_simulator({"greeting": "word " * 80}, speedup=1.0) as (_, base):
        session = await open_session(base)
        await session.send({"type": "response.create"})
        await session.next("response.output_audio.delta")
        for audio in [LOUD] * 10:
            await session.send({"type": "input_audio_buffer.append", "audio": audio})
        done = await session.next("response.done")
        assert done["response"]["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
        assert done["response"]["output"][0]["status"] == "incomplete"
        await session.socket.close()


async def test_transcript_deltas_are_interleaved_with_the_audio() -> None:
    async with running_simulator({"greeting": "alpha beta gamma delta epsilon zeta eta theta"}) as (_, base):
        session = await open_session(base)
        await session.send({"type": "response.create"})
        await session.next("response.done")
        kinds = [e["type"] for e in session.events if e["type"].startswith("response.output_audio")]
        first_done = kinds.index("response.output_audio.done")
        deltas = [k for k in kinds[:first_done] if k == "response.output_audio_transcript.delta"]
        assert len(deltas) >= 4
        # Some transcript deltas come before the last audio delta: streamed along, not at the end.
        last_audio = max(i for i, k in enumerate(kinds) if k == "response.output_audio.delta")
        assert kinds.index("response.output_audio_transcript.delta") < last_audio
        text = "".join(e["delta"] for e in session.events if e["type"] == "response.output_audio_transcript.delta")
        assert text == "alpha beta gamma delta epsilon zeta eta theta"
        await session.socket.close()


async def test_truncate_removes_unheard_words_from_the_item() -> None:
    words = " ".join(f"w{i}" for i in range(20))
    async with running_simulator({"greeting": words}) as (sim, base):
        session = await open_session(base)
        await session.send({"type": "response.create"})
        done = await session.next("response.done")
        item_id = done["response"]["output"][0]["id"]
        total_ms = len(sim.conversations[0].items[item_id].audio) // 48
        await session.send(
            {
                "type": "conversation.item.truncate",
                "item_id": item_id,
                "content_index": 0,
                "audio_end_ms": total_ms // 4,
            }
        )
        assert (await session.next("conversation.item.truncated"))["audio_end_ms"] == total_ms // 4
        await session.send({"type": "conversation.item.retrieve", "item_id": item_id})
        kept = (await session.next("conversation.item.retrieved"))["item"]["content"][0]["transcript"]
        assert kept == " ".join(f"w{i}" for i in range(5))
        await session.socket.close()


@pytest.mark.parametrize(
    ("session_update", "code", "param"),
    [
        ({"audio": {"input": {"turn_detection": "server_vad"}}}, "invalid_type", "session.audio.input.turn_detection"),
        (
            {"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": "high"}}}},
            "invalid_type",
            "session.audio.input.turn_detection.threshold",
        ),
        (
            {"audio": {"input": {"turn_detection": {"type": "bogus_vad"}}}},
            "invalid_value",
            "session.audio.input.turn_detection.type",
        ),
        ({"audio": {"output": {"voice": 7}}}, "invalid_type", "session.audio.output.voice"),
        ({"instructionz": "typo"}, "unknown_parameter", "session.instructionz"),
        ({"tools": [{"type": "function", "name": "x", "paramz": {}}]}, "unknown_parameter", "session.tools[0].paramz"),
    ],
)
async def test_bad_session_update_gets_an_error_with_its_param_and_the_session_goes_on(
    session_update: dict[str, Any], code: str, param: str
) -> None:
    async with running_simulator() as (_, base):
        session = await open_session(base)
        await session.send(
            {"type": "session.update", "event_id": "evt_1", "session": {"type": "realtime", **session_update}}
        )
        error = (await session.next("error"))["error"]
        assert (error["code"], error["param"], error["event_id"]) == (code, param, "evt_1")
        await session.send({"type": "session.update", "session": {"type": "realtime", "instructions": "still here"}})
        assert (await session.next("session.updated"))["session"]["instructions"] == "still here"
        await session.socket.close()


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        (
            {"type": "response.create", "response": {"output_modalities": ["txt"]}},
            "invalid_value",
            "response.output_modalities[0]",
        ),
        ({"type": "response.create", "response": {"temperature_x": 1}}, "unknown_parameter", "response.temperature_x"),
        (
            {"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": "hi"}},
            "invalid_type",
            "item.content",
        ),
        (
            {
                "type": "conversation.item.create",
                "item": {"type": "message", "role": "user", "content": [{"type": "txt"}]},
            },
            "invalid_value",
            "item.content[0].type",
        ),
        ({"type": "input_audio_buffer.commit"}, "input_audio_buffer_commit_empty", None),
    ],
)
async def test_refused_client_events_echo_their_event_id(event: dict[str, Any], code: str, param: str | None) -> None:
    async with running_simulator() as (_, base):
        session = await open_session(base)
        await session.send({"type": "input_audio_buffer.append", "audio": QUIET})  # 20 ms: too little to commit
        await session.send({**event, "event_id": "evt_9"})
        error = (await session.next("error"))["error"]
        assert (error["code"], error["param"], error["event_id"]) == (code, param, "evt_9")
        await session.socket.close()


async def test_client_created_items_come_back_whole_with_their_previous_item() -> None:
    async with running_simulator() as (_, base):
        session = await open_session(base)
        call = {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": '{"q": 1}'}
        await session.send({"type": "conversation.item.create", "item": call})
        added = await session.next("conversation.item.added")
        assert {k: added["item"][k] for k in ("name", "arguments", "call_id")} == {
            "name": "lookup",
            "arguments": '{"q": 1}',
            "call_id": "call_1",
        }
        output = {"type": "function_call_output", "call_id": "call_1", "output": "42"}
        await session.send({"type": "conversation.item.create", "item": output})
        done = await session.next("conversation.item.done")
        while done["item"]["type"] != "function_call_output":
            done = await session.next("conversation.item.done")
        assert done["previous_item_id"] == added["item"]["id"] and done["item"]["output"] == "42"
        content = [{"type": "input_text", "text": "hello"}]
        await session.send(
            {"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": content}}
        )
        message = await session.next("conversation.item.added")
        while message["item"]["type"] != "message":
            message = await session.next("conversation.item.added")
        await session.send({"type": "conversation.item.retrieve", "item_id": added["item"]["id"]})
        retrieved = (await session.next("conversation.item.retrieved"))["item"]
        assert retrieved["name"] == "lookup" and retrieved["arguments"] == '{"q": 1}'
        assert message["item"]["content"] == content
        await session.socket.close()


async def test_text_only_out_of_band_response_streams_text_and_stays_out_of_the_conversation() -> None:
    async with running_simulator({"greeting": "just text please"}) as (sim, base):
        session = await open_session(base)
        options = {"output_modalities": ["text"], "conversation": "none", "metadata": {"purpose": "summary"}}
        await session.send({"type": "response.create", "response": options})
        done = await session.next("response.done")
        kinds = session.types_after(0)
        assert "response.output_audio.delta" not in kinds and "conversation.item.added" not in kinds
        assert (
            "".join(e["delta"] for e in session.events if e["type"] == "response.output_text.delta")
            == "just text please"
        )
        response = done["response"]
        assert response["conversation_id"] is None and response["metadata"] == {"purpose": "summary"}
        assert response["output"][0]["content"] == [{"type": "output_text", "text": "just text please"}]
        assert sim.conversations[0].items == {}
        await session.socket.close()


async def test_input_transcription_can_arrive_after_the_response_started() -> None:
    scenario = {"turns": [{"caller": "hello there", "agent": "Hi!"}]}
    async with running_simulator(scenario) as (sim, base):
        sim.late_transcription = 1.0  # forced: every caller transcript comes late
        session = await open_session(base)
        audio = {"input": {"transcription": {"model": "whisper-1"}}}
        await session.send({"type": "session.update", "session": {"type": "realtime", "audio": audio}})
        for chunk in [LOUD] * 10 + [QUIET] * 30:
            await session.send({"type": "input_audio_buffer.append", "audio": chunk})
        await session.next("response.done")
        kinds = session.types_after(0)
        heard = kinds.index("conversation.item.input_audio_transcription.completed")
        assert kinds.index("response.created") < heard < kinds.index("response.done")
        await session.socket.close()


def test_late_transcription_is_reproducible_for_a_seed() -> None:
    from devstack.realtime import build_state

    first = build_state("k", late_transcription=0.5, seed=7)
    second = build_state("k", late_transcription=0.5, seed=7)
    assert [first.transcription_is_late() for _ in range(20)] == [second.transcription_is_late() for _ in range(20)]


async def test_client_secrets_refuse_a_session_the_service_would_refuse() -> None:
    import httpx

    async with running_simulator() as (_, base), httpx.AsyncClient(base_url=base, headers={"api-key": API_KEY}) as http:
        url = "/openai/v1/realtime/client_secrets"
        typo = await http.post(url, json={"session": {"type": "realtime", "voise": "alloy"}})
        bad_vad = {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "loud_vad"}}}}
        enum = await http.post(url, json={"session": bad_vad})
        good = await http.post(url, json={"session": {"type": "realtime", "model": "gpt-realtime"}})
    assert typo.status_code == 400 and typo.json()["error"]["param"] == "session.voise"
    assert enum.status_code == 400 and enum.json()["error"]["param"] == "session.audio.input.turn_detection.type"
    assert good.status_code == 200


async def test_an_item_created_after_a_given_item_lands_there() -> None:
    async with running_simulator() as (sim, base):
        session = await open_session(base)
        for text in ("first", "third"):
            part = [{"type": "input_text", "text": text}]
            await session.send(
                {
                    "type": "conversation.item.create",
                    "item": {"id": text, "type": "message", "role": "user", "content": part},
                }
            )
            await session.next("conversation.item.done")
        second = {
            "id": "second",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "second"}],
        }
        await session.send({"type": "conversation.item.create", "previous_item_id": "first", "item": second})
        assert (await session.next("conversation.item.added"))["previous_item_id"] == "first"
        await session.send(
            {
                "type": "conversation.item.create",
                "previous_item_id": "nope",
                "event_id": "e5",
                "item": second | {"id": "x"},
            }
        )
        error = (await session.next("error"))["error"]
        assert (error["param"], error["event_id"]) == ("previous_item_id", "e5")
        assert list(sim.conversations[0].items) == ["first", "second", "third"]
        await session.socket.close()

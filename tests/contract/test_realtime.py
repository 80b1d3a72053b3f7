"""Realtime contracts the bridge and the browser rely on, checked against the GA protocol.

Every server event must parse as the official `openai` SDK's GA type (`openai.types.realtime`), and
each scenario pins what the service documents: the session takes our configuration, a text turn, a
function call round trip, cancel, truncate and errors that keep the session.
"""

from __future__ import annotations

from typing import Any

from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter, ValidationError

from tests.contract.conftest import require_real
from tests.contract.realtime import events_until, next_of, realtime_socket, send

SERVER_EVENT: TypeAdapter[Any] = TypeAdapter(RealtimeServerEvent)
TOOL = {
    "type": "function",
    "name": "get_account_balance",
    "description": "The balance of a customer account.",
    "parameters": {
        "type": "object",
        "properties": {"account_id": {"type": "string"}},
        "required": ["account_id"],
        "additionalProperties": False,
    },
}
SESSION = {
    "type": "realtime",
    "instructions": "You are a terse test agent. Follow the user's instructions exactly.",
    "output_modalities": ["audio"],
    "tools": [TOOL],
    "tool_choice": "auto",
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "turn_detection": {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 500},
            "transcription": {"model": "whisper-1"},
        },
        "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"},
    },
}


def parsed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events, each checked against the SDK's GA server event types."""
    for event in events:
        try:
            SERVER_EVENT.validate_python(event)
        except ValidationError as exc:
            raise AssertionError(f"{event['type']} does not match the GA schema: {str(exc)[:400]}") from None
    return events


async def configured(socket: Any, **overrides: Any) -> dict[str, Any]:
    parsed([await next_of(socket, "session.created")])
    await send(socket, "session.update", session={**SESSION, **overrides})
    return parsed(await events_until(socket, "session.updated"))[-1]


async def user_says(socket: Any, text: str) -> None:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    await send(socket, "conversation.item.create", item=item)


async def test_session_configuration_is_accepted_as_sent(target: str) -> None:
    require_real("realtime", target)
    async with realtime_socket(target) as socket:
        session = (await configured(socket))["session"]
        assert session["type"] == "realtime" and session["instructions"] == SESSION["instructions"]
        assert [tool["name"] for tool in session["tools"]] == ["get_account_balance"]
        assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
        assert session["audio"]["output"]["voice"] == "alloy"


async def test_text_turn_answers_in_text_when_asked_for_text_only(target: str) -> None:
    require_real("realtime", target)
    async with realtime_socket(target, [{"caller": "say hello", "agent": "Hello."}]) as socket:
        await configured(socket)
        await user_says(socket, "Say the single word: hello.")
        await send(socket, "response.create", response={"output_modalities": ["text"]})
        events = parsed(await events_until(socket, "response.done"))
        kinds = [e["type"] for e in events]
        assert "response.output_text.done" in kinds and "response.output_audio.delta" not in kinds
        done = events[-1]["response"]
        assert done["status"] == "completed" and done["output"][0]["role"] == "assistant"


async def test_function_call_round_trip(target: str) -> None:
    require_real("realtime", target)
    turns = [
        {
            "caller": "balance",
            "agent": "",
            "tool_calls": [{"name": "get_account_balance", "arguments": {"account_id": "ACC-1001"}}],
            "after_tools": "Your balance is fifty five dollars.",
        }
    ]
    async with realtime_socket(target, turns) as socket:
        await configured(socket, tool_choice={"type": "function", "name": "get_account_balance"})
        await user_says(socket, "What is the balance of account ACC-1001?")
        await send(socket, "response.create")
        events = parsed(await events_until(socket, "response.done"))
        call = next(e for e in events if e["type"] == "response.function_call_arguments.done")
        assert call["name"] == "get_account_balance" and "ACC-1001" in call["arguments"]
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": '{"balance": 55.0}'}
        await send(socket, "conversation.item.create", item=output)
        added = parsed([await next_of(socket, "conversation.item.added")])[0]
        assert added["item"]["type"] == "function_call_output" and added["item"]["call_id"] == call["call_id"]
        await send(socket, "session.update", session={"type": "realtime", "tool_choice": "none"})
        await send(socket, "response.create")
        answer = parsed(await events_until(socket, "response.done"))[-1]["response"]
        assert answer["status"] == "completed" and answer["output"][0]["type"] == "message"


async def test_cancelled_response_ends_with_status_details(target: str) -> None:
    require_real("realtime", target)
    async with realtime_socket(target, [{"caller": "story", "agent": "Once upon a time " * 20}]) as socket:
        await configured(socket)
        await user_says(socket, "Tell me a long story about the sea.")
        await send(socket, "response.create")
        parsed([await next_of(socket, "response.created")])
        await send(socket, "response.cancel")
        done = parsed(await events_until(socket, "response.done"))[-1]["response"]
        assert done["status"] == "cancelled"
        assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}


async def test_truncating_the_agents_audio_is_confirmed(target: str) -> None:
    require_real("realtime", target)
    async with realtime_socket(target, [{"caller": "count", "agent": "One two three four five six."}]) as socket:
        await configured(socket)
        await user_says(socket, "Count slowly from one to ten.")
        await send(socket, "response.create")
        events = parsed(await events_until(socket, "response.done"))
        item = next(e["item"] for e in events if e["type"] == "response.output_item.done")
        await send(socket, "conversation.item.truncate", item_id=item["id"], content_index=0, audio_end_ms=200)
        truncated = parsed([await next_of(socket, "conversation.item.truncated")])[0]
        assert (truncated["item_id"], truncated["audio_end_ms"]) == (item["id"], 200)


async def test_bad_client_events_get_an_error_event_and_the_session_goes_on(target: str) -> None:
    require_real("realtime", target)
    async with realtime_socket(target) as socket:
        await configured(socket)
        bogus_vad = {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "sometimes"}}}}
        await send(socket, "session.update", event_id="evt_bad_vad", session=bogus_vad)
        error = parsed([await next_of(socket, "error", seconds=15)])[0]["error"]
        assert error["type"] == "invalid_request_error" and error["param"]
        assert error["event_id"] == "evt_bad_vad"
        await send(socket, "no.such.event", event_id="evt_unknown")
        assert parsed([await next_of(socket, "error")])[0]["error"]["event_id"] == "evt_unknown"
        await send(socket, "session.update", session={"type": "realtime", "instructions": "Still here."})
        assert (await next_of(socket, "session.updated"))["session"]["instructions"] == "Still here."

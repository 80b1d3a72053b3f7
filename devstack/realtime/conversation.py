"""The transport-independent Realtime conversation engine of the simulator.

A `Conversation` is fed client events (dicts, already validated by `protocol.py`) and emits server
events through an async `emit` callback. It knows nothing about sockets: the WebSocket transport
(`ws.py`) forwards every event as JSON; a WebRTC transport would route `response.output_audio.delta`
to its media track and the rest to the `oai-events` data channel.

Behaviour follows the GA service: server VAD commits caller turns and starts responses, responses
stream audio faster than real time, `response.cancel` and VAD interruptions cancel them,
`conversation.item.truncate` refuses positions beyond the audio sent, `response.done` has usage.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from devstack.realtime.agents import Agent, AgentTurn, ResponseContext
from devstack.realtime.protocol import ClientEventError, error_event, new_id
from devstack.realtime.vad import EnergyVad

Emit = Callable[[dict[str, Any]], Awaitable[None]]
Voice = Callable[[str], bytes]

_DELTA_MS = 100  # audio per response.output_audio.delta
_BYTES_PER_MS = 48  # 24 kHz PCM16 mono


@dataclass
class Item:
    """A conversation item the simulator remembers (enough for truncate and tests)."""

    id: str
    type: str
    role: str = ""
    text: str = ""
    audio: bytearray = field(default_factory=bytearray)  # assistant audio actually sent
    truncated_ms: int | None = None
    call_id: str = ""
    output: str = ""


def default_session(model: str) -> dict[str, Any]:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": new_id("sess"),
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": None,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0},
        },
    }


def merge_session(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        merged[key] = (
            merge_session(merged[key], value)
            if isinstance(value, dict) and isinstance(merged.get(key), dict)
            else value
        )
    return merged


class Conversation:
    """One Realtime session's state machine."""

    def __init__(
        self,
        agent: Agent,
        voice: Voice,
        emit: Emit,
        *,
        model: str = "gpt-realtime",
        speedup: float = 4.0,
        session: dict[str, Any] | None = None,
    ) -> None:
        self.agent = agent
        self._voice = voice  # text -> 24 kHz PCM16
        self._emit = emit
        self._speedup = speedup  # how much faster than real time audio is streamed
        # A WebRTC session starts from the configuration its client secret was minted with.
        self.session = merge_session(default_session(model), session or {})
        self.items: dict[str, Item] = {}
        self.input_audio = bytearray()  # every byte appended, for tests
        self._turn_audio = bytearray()  # the caller turn being collected
        self._turn_item = ""  # item id of the caller turn in progress
        self._vad = self._make_vad()
        self._response: asyncio.Task[None] | None = None
        self._context = ResponseContext()
        self.usage_total = {"input_tokens": 0, "output_tokens": 0}
        self.closed = False

    # --- entry points -------------------------------------------------------------------------

    async def start(self) -> None:
        await self._send("session.created", session=self.session)

    async def handle(self, event: dict[str, Any]) -> None:
        """Dispatch one validated client event; semantic errors become `error` events."""
        handler = getattr(self, "_handle_" + event["type"].replace(".", "_"))
        try:
            await handler(event)
        except ClientEventError as exc:
            await self._emit(error_event(exc, event.get("event_id")))

    async def close(self) -> None:
        self.closed = True
        await self._cancel_response(emit=False)

    # --- session and input ---------------------------------------------------------------------

    def _make_vad(self) -> EnergyVad | None:
        detection = self.session["audio"]["input"].get("turn_detection")
        if not detection:
            return None
        return EnergyVad(float(detection.get("threshold", 0.5)), int(detection.get("silence_duration_ms", 500)))

    async def _handle_session_update(self, event: dict[str, Any]) -> None:
        update = event["session"]
        voice = ((update.get("audio") or {}).get("output") or {}).get("voice")
        current = self.session["audio"]["output"].get("voice")
        if voice and voice != current and any(i.audio for i in self.items.values()):
            raise ClientEventError(
                "invalid_value", "Cannot update a conversation's voice if assistant audio is present."
            )
        self.session = merge_session(self.session, update)
        self._vad = self._make_vad()
        await self._send("session.updated", session=self.session)

    async def _handle_input_audio_buffer_append(self, event: dict[str, Any]) -> None:
        pcm = base64.b64decode(event["audio"])
        self.input_audio += pcm
        self._turn_audio += pcm
        if self._vad is None:
            return
        for change in self._vad.feed(pcm):
            if change.started:
                self._turn_item = new_id("item")
                await self._send("input_audio_buffer.speech_started", audio_start_ms=change.ms, item_id=self._turn_item)
                detection = self.session["audio"]["input"]["turn_detection"]
                if detection.get("interrupt_response", True):
                    await self._cancel_response()
            else:
                await self._send("input_audio_buffer.speech_stopped", audio_end_ms=change.ms, item_id=self._turn_item)
                await self._commit(self._turn_item)

    async def _handle_input_audio_buffer_commit(self, event: dict[str, Any]) -> None:
        if not self._turn_audio:
            raise ClientEventError(
                "input_audio_buffer_commit_empty", "Error committing input audio buffer: buffer is empty."
            )
        await self._commit(self._turn_item or new_id("item"))

    async def _handle_input_audio_buffer_clear(self, event: dict[str, Any]) -> None:
        self._turn_audio.clear()
        if self._vad:
            self._vad.reset()
        await self._send("input_audio_buffer.cleared")

    async def _commit(self, item_id: str) -> None:
        audio, self._turn_audio = bytes(self._turn_audio), bytearray()
        self._turn_item = ""
        await self._send("input_audio_buffer.committed", previous_item_id=None, item_id=item_id)
        item = Item(item_id, "message", role="user")
        self.items[item_id] = item
        await self._item_added(item, [{"type": "input_audio", "transcript": None}])
        text = await asyncio.to_thread(self.agent.transcribe, audio)
        item.text = text
        self._context.caller_texts.append(text)
        if self.session["audio"]["input"].get("transcription"):
            await self._send(
                "conversation.item.input_audio_transcription.completed",
                item_id=item_id,
                content_index=0,
                transcript=text,
                usage={"type": "duration", "seconds": round(len(audio) / 48000, 3)},
            )
        detection = self.session["audio"]["input"].get("turn_detection") or {}
        if detection.get("create_response", True) and self._response is None:
            self._start_response(None)

    # --- conversation items --------------------------------------------------------------------

    async def _handle_conversation_item_create(self, event: dict[str, Any]) -> None:
        spec = event["item"]
        item = Item(spec.get("id") or new_id("item"), spec["type"], role=spec.get("role", ""))
        if spec["type"] == "function_call_output":
            if not any(i.type == "function_call" and i.call_id == spec["call_id"] for i in self.items.values()):
                raise ClientEventError(
                    "invalid_value", f"No tool call found with call_id '{spec['call_id']}'.", "item.call_id"
                )
            item.call_id, item.output = spec["call_id"], spec["output"]
            self._context.tool_outputs.append(item.output)
        elif spec["type"] == "message":
            item.text = " ".join(str(c.get("text", "")) for c in spec["content"] if isinstance(c, dict))
            if item.role == "user":
                self._context.caller_texts.append(item.text)
        self.items[item.id] = item
        await self._item_added(item, spec.get("content", []))

    async def _handle_conversation_item_truncate(self, event: dict[str, Any]) -> None:
        item = self.items.get(event["item_id"])
        if item is None or item.role != "assistant":
            raise ClientEventError(
                "invalid_value", f"Item '{event['item_id']}' is not an assistant audio item.", "item_id"
            )
        sent_ms = len(item.audio) // _BYTES_PER_MS
        if event["audio_end_ms"] > sent_ms:
            raise ClientEventError(
                "invalid_value",
                f"audio_end_ms {event['audio_end_ms']} is beyond the audio sent ({sent_ms} ms).",
                "audio_end_ms",
            )
        item.truncated_ms = event["audio_end_ms"]
        await self._send(
            "conversation.item.truncated",
            item_id=item.id,
            content_index=event["content_index"],
            audio_end_ms=item.truncated_ms,
        )

    async def _handle_conversation_item_delete(self, event: dict[str, Any]) -> None:
        if self.items.pop(event["item_id"], None) is None:
            raise ClientEventError("invalid_value", f"Item '{event['item_id']}' does not exist.", "item_id")
        await self._send("conversation.item.deleted", item_id=event["item_id"])

    async def _handle_conversation_item_retrieve(self, event: dict[str, Any]) -> None:
        item = self.items.get(event["item_id"])
        if item is None:
            raise ClientEventError("invalid_value", f"Item '{event['item_id']}' does not exist.", "item_id")
        await self._send("conversation.item.retrieved", item=self._item_json(item))

    async def _item_added(self, item: Item, content: list[Any]) -> None:
        await self._send("conversation.item.added", previous_item_id=None, item=self._item_json(item, content))
        await self._send("conversation.item.done", previous_item_id=None, item=self._item_json(item, content))

    @staticmethod
    def _item_json(item: Item, content: list[Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"id": item.id, "object": "realtime.item", "type": item.type, "status": "completed"}
        if item.type == "message":
            body.update(role=item.role, content=content or [])
        elif item.type == "function_call_output":
            body.update(call_id=item.call_id, output=item.output)
        return body

    # --- responses -----------------------------------------------------------------------------

    async def _handle_response_create(self, event: dict[str, Any]) -> None:
        if self._response is not None:
            raise ClientEventError(
                "conversation_already_has_active_response",
                "Conversation already has an active response in progress. Wait until the response is finished.",
            )
        self._start_response((event.get("response") or {}).get("instructions"))

    async def _handle_response_cancel(self, event: dict[str, Any]) -> None:
        if self._response is None:
            raise ClientEventError("response_cancel_not_active", "Cancellation failed: no active response found.")
        await self._cancel_response()

    async def _handle_output_audio_buffer_clear(self, event: dict[str, Any]) -> None:
        await self._send("output_audio_buffer.cleared", response_id=None)

    def _start_response(self, instructions: str | None) -> None:
        context, self._context = self._context, ResponseContext()
        context.instructions = instructions
        context.tools = list(self.session.get("tools") or [])
        response_id = new_id("resp")
        self._response = asyncio.create_task(self._run_response(response_id, context))
        self._response_id = response_id
        self._response_usage = {"input_tokens": 0, "output_tokens": 0, "audio_ms": 0}

    async def _cancel_response(self, *, emit: bool = True) -> None:
        task, self._response = self._response, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if emit:
            await self._response_done(self._response_id, "cancelled", [])

    async def _run_response(self, response_id: str, context: ResponseContext) -> None:
        outputs: list[dict[str, Any]] = []
        await self._send(
            "response.created",
            response={"id": response_id, "object": "realtime.response", "status": "in_progress", "output": []},
        )
        plan: AgentTurn = self.agent.respond(context)
        heard = " ".join(context.caller_texts) + (context.instructions or "") + " ".join(context.tool_outputs)
        self._response_usage["input_tokens"] = 50 + len(heard.split()) * 2
        if plan.text:
            outputs.append(await self._speak(response_id, len(outputs), plan.text))
        for call in plan.tool_calls:
            outputs.append(await self._call_tool(response_id, len(outputs), call.name, json.dumps(call.arguments)))
        self._response = None
        await self._response_done(response_id, "completed", outputs)

    async def _speak(self, response_id: str, index: int, text: str) -> dict[str, Any]:
        item = Item(new_id("item"), "message", role="assistant", text=text)
        self.items[item.id] = item
        ids = {"response_id": response_id, "item_id": item.id, "output_index": index}
        shell = {
            "id": item.id,
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        await self._send("response.output_item.added", response_id=response_id, output_index=index, item=shell)
        await self._send("conversation.item.added", previous_item_id=None, item=shell)
        await self._send(
            "response.content_part.added", **ids, content_index=0, part={"type": "audio", "transcript": ""}
        )
        audio = await asyncio.to_thread(self._voice, text)
        chunk = _DELTA_MS * _BYTES_PER_MS
        started = time.monotonic()
        for n, start in enumerate(range(0, len(audio), chunk)):
            piece = audio[start : start + chunk]
            item.audio += piece
            self._response_usage["audio_ms"] += len(piece) // _BYTES_PER_MS
            await self._send(
                "response.output_audio.delta", **ids, content_index=0, delta=base64.b64encode(piece).decode()
            )
            # Faster than real time, like the service: the client buffers and paces playback.
            await asyncio.sleep(max(0.0, started + (n + 1) * _DELTA_MS / 1000 / self._speedup - time.monotonic()))
        await self._send("response.output_audio_transcript.delta", **ids, content_index=0, delta=text)
        await self._send("response.output_audio.done", **ids, content_index=0)
        await self._send("response.output_audio_transcript.done", **ids, content_index=0, transcript=text)
        part = {"type": "audio", "transcript": text}
        await self._send("response.content_part.done", **ids, content_index=0, part=part)
        done = dict(shell, status="completed", content=[{"type": "output_audio", "transcript": text}])
        await self._send("response.output_item.done", response_id=response_id, output_index=index, item=done)
        await self._send("conversation.item.done", previous_item_id=None, item=done)
        self._response_usage["output_tokens"] += len(text.split()) * 2
        return done

    async def _call_tool(self, response_id: str, index: int, name: str, arguments: str) -> dict[str, Any]:
        item = Item(new_id("item"), "function_call", call_id=new_id("call"))
        self.items[item.id] = item
        body = {
            "id": item.id,
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
            "name": name,
            "call_id": item.call_id,
            "arguments": "",
        }
        await self._send("response.output_item.added", response_id=response_id, output_index=index, item=body)
        await self._send("conversation.item.added", previous_item_id=None, item=body)
        ids = {"response_id": response_id, "item_id": item.id, "output_index": index, "call_id": item.call_id}
        await self._send("response.function_call_arguments.delta", **ids, delta=arguments)
        await self._send("response.function_call_arguments.done", **ids, name=name, arguments=arguments)
        done = dict(body, status="completed", arguments=arguments)
        await self._send("response.output_item.done", response_id=response_id, output_index=index, item=done)
        await self._send("conversation.item.done", previous_item_id=None, item=done)
        self._response_usage["output_tokens"] += 10 + len(arguments) // 4
        return done

    async def _response_done(self, response_id: str, status: str, outputs: list[dict[str, Any]]) -> None:
        used = self._response_usage
        input_audio = math.ceil(len(self.input_audio) / _BYTES_PER_MS / 100)  # ~10 tokens per second heard
        output_audio = math.ceil(used["audio_ms"] / 50)  # ~20 tokens per second spoken
        usage = {
            "total_tokens": used["input_tokens"] + input_audio + used["output_tokens"] + output_audio,
            "input_tokens": used["input_tokens"] + input_audio,
            "output_tokens": used["output_tokens"] + output_audio,
            "input_token_details": {
                "text_tokens": used["input_tokens"],
                "audio_tokens": input_audio,
                "cached_tokens": 0,
            },
            "output_token_details": {"text_tokens": used["output_tokens"], "audio_tokens": output_audio},
        }
        self.usage_total["input_tokens"] += used["input_tokens"] + input_audio
        self.usage_total["output_tokens"] += used["output_tokens"] + output_audio
        response = {
            "id": response_id,
            "object": "realtime.response",
            "status": status,
            "output": outputs,
            "usage": usage,
        }
        await self._send("response.done", response=response)

    async def _send(self, event_type: str, **fields: Any) -> None:
        if not self.closed:
            await self._emit({"type": event_type, "event_id": new_id("event"), **fields})

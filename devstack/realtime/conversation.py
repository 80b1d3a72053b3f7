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
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from devstack.realtime.agents import Agent, AgentTurn, ResponseContext
from devstack.realtime.protocol import ClientEventError, error_event, new_id
from devstack.realtime.vad import EnergyVad

log = logging.getLogger("devstack.realtime.conversation")

Emit = Callable[[dict[str, Any]], Awaitable[None]]
Voice = Callable[[str], bytes]

_DELTA_MS = 100  # audio per response.output_audio.delta
_BYTES_PER_MS = 48  # 24 kHz PCM16 mono
_MIN_COMMIT_MS = 100  # the service refuses to commit less audio than this


@dataclass
class Item:
    """A conversation item the simulator remembers, whole (retrieve returns it as it was created)."""

    id: str
    type: str
    role: str = ""
    text: str = ""  # what the item says (an assistant item's transcript, cut back by truncate)
    audio: bytearray = field(default_factory=bytearray)  # assistant audio actually sent
    truncated_ms: int | None = None
    call_id: str = ""
    output: str = ""
    name: str = ""
    arguments: str = ""
    content: list[dict[str, Any]] = field(default_factory=list)  # a client-created message's parts
    status: str = "completed"


def heard_words(text: str, heard_ms: int, total_ms: int) -> str:
    """The words of `text` spoken in its first `heard_ms` of `total_ms` (speech spreads words evenly)."""
    words = text.split()
    if total_ms <= 0:
        return ""
    return " ".join(words[: len(words) * min(heard_ms, total_ms) // total_ms])


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
        late_transcription: Callable[[], bool] = lambda: False,
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
        self._response_id = ""
        self._open: _OpenOutput | None = None  # the output item being streamed, for a clean cancel
        self._outputs: list[dict[str, Any]] = []  # finished output items of the running response
        # The GA docs warn that input transcription may complete after the response starts:
        # when this says so, a caller turn's transcript is held until the response's end.
        self._late_transcription = late_transcription
        self._held_transcripts: list[dict[str, Any]] = []
        self._conversation_id = new_id("conv")
        self._current = _Response("", ["audio"], True)
        self._response_usage = {"input_tokens": 0, "output_tokens": 0, "audio_ms": 0}
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
        except Exception:  # a simulator bug must not drop the session: the service would answer
            log.exception("simulator failed on %s", event["type"])
            failure = ClientEventError("server_error", f"The server had an error processing {event['type']}.")
            body = error_event(failure, event.get("event_id"))
            body["error"]["type"] = "server_error"
            await self._emit(body)

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
                detection = self.session["audio"]["input"]["turn_detection"]
                # audio_start_ms marks the start of the audio the turn keeps: prefix padding included.
                start = max(0, change.ms - int(detection.get("prefix_padding_ms", 300)))
                await self._send("input_audio_buffer.speech_started", audio_start_ms=start, item_id=self._turn_item)
                if detection.get("interrupt_response", True):
                    await self._cancel_response(reason="turn_detected")
            else:
                await self._send("input_audio_buffer.speech_stopped", audio_end_ms=change.ms, item_id=self._turn_item)
                await self._commit(self._turn_item)

    async def _handle_input_audio_buffer_commit(self, event: dict[str, Any]) -> None:
        buffered_ms = len(self._turn_audio) / _BYTES_PER_MS
        if buffered_ms < _MIN_COMMIT_MS:
            raise ClientEventError(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{_MIN_COMMIT_MS}ms of audio, but buffer only has {buffered_ms:.2f}ms of audio.",
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
        await self._send("input_audio_buffer.committed", previous_item_id=self._last_item_id(), item_id=item_id)
        item = Item(item_id, "message", role="user", content=[{"type": "input_audio", "transcript": None}])
        await self._item_added(item)
        text = await asyncio.to_thread(self.agent.transcribe, audio)
        item.text = text
        self._context.caller_texts.append(text)
        detection = self.session["audio"]["input"].get("turn_detection") or {}
        respond = detection.get("create_response", True) and self._response is None
        if self.session["audio"]["input"].get("transcription"):
            transcribed = {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": item_id,
                "content_index": 0,
                "transcript": text,
                "usage": {"type": "duration", "seconds": round(len(audio) / 48000, 3)},
            }
            if respond and self._late_transcription():
                self._held_transcripts.append(transcribed)  # sent as the response ends
            else:
                await self._send(str(transcribed.pop("type")), **transcribed)
        if respond:
            self._start_response({})

    # --- conversation items --------------------------------------------------------------------

    def _last_item_id(self) -> str | None:
        return next(reversed(self.items), None) if self.items else None

    def _previous_of(self, item_id: str) -> str | None:
        ids = list(self.items)
        index = ids.index(item_id) if item_id in ids else len(ids)
        return ids[index - 1] if index > 0 else None

    async def _handle_conversation_item_create(self, event: dict[str, Any]) -> None:
        spec = event["item"]
        item = Item(spec.get("id") or new_id("item"), spec["type"], role=spec.get("role", ""))
        if item.id in self.items:
            raise ClientEventError("invalid_value", f"Item with id '{item.id}' already exists.", "item.id")
        previous = event.get("previous_item_id")
        if previous not in (None, "root") and previous not in self.items:
            raise ClientEventError(
                "invalid_value", f"Previous item with id '{previous}' does not exist.", "previous_item_id"
            )
        if item.type == "function_call_output":
            if not any(i.type == "function_call" and i.call_id == spec["call_id"] for i in self.items.values()):
                raise ClientEventError(
                    "invalid_value", f"No tool call found with call_id '{spec['call_id']}'.", "item.call_id"
                )
            item.call_id, item.output = spec["call_id"], spec["output"]
            self._context.tool_outputs.append(item.output)
        elif item.type == "function_call":
            item.call_id = spec.get("call_id") or new_id("call")
            item.name, item.arguments = spec["name"], spec["arguments"]
        elif item.type == "message":
            item.content = [dict(part) for part in spec["content"]]
            item.text = " ".join(str(p.get("text") or p.get("transcript") or "") for p in item.content).strip()
            if item.role == "user":
                self._context.caller_texts.append(item.text)
        else:
            raise ClientEventError("invalid_value", f"Items of type '{item.type}' are not supported here.", "item.type")
        await self._item_added(item, previous)

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
        # The service drops the unheard part of the transcript, so the model's context holds only
        # what the user heard.
        item.text = heard_words(item.text, event["audio_end_ms"], sent_ms)
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

    async def _item_added(self, item: Item, after: str | None = None) -> None:
        """Add `item` at the end, or after `after` ("root": first), as `previous_item_id` asks."""
        if after is None:
            previous = self._last_item_id()
            self.items[item.id] = item
        else:
            order = list(self.items.items())
            at = 0 if after == "root" else [key for key, _ in order].index(after) + 1
            order.insert(at, (item.id, item))
            self.items = dict(order)
            previous = None if after == "root" else after
        body = self._item_json(item)
        await self._send("conversation.item.added", previous_item_id=previous, item=body)
        await self._send("conversation.item.done", previous_item_id=previous, item=body)

    @staticmethod
    def _item_json(item: Item) -> dict[str, Any]:
        body: dict[str, Any] = {"id": item.id, "object": "realtime.item", "type": item.type, "status": item.status}
        if item.type == "message":
            content = [dict(part) for part in item.content]
            for part in content:  # transcripts follow the item's text (truncate cuts it back)
                if part.get("type") in ("output_audio", "input_audio") and (item.text or item.role == "assistant"):
                    part["transcript"] = item.text
                elif part.get("type") == "output_text":
                    part["text"] = item.text
            body.update(role=item.role, content=content)
        elif item.type == "function_call":
            body.update(call_id=item.call_id, name=item.name, arguments=item.arguments)
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
        self._start_response(event.get("response") or {})

    async def _handle_response_cancel(self, event: dict[str, Any]) -> None:
        if self._response is None:
            raise ClientEventError("response_cancel_not_active", "Cancellation failed: no active response found.")
        await self._cancel_response(reason="client_cancelled")

    async def _handle_output_audio_buffer_clear(self, event: dict[str, Any]) -> None:
        await self._send("output_audio_buffer.cleared", response_id=None)

    def _start_response(self, options: dict[str, Any]) -> None:
        in_conversation = options.get("conversation", "auto") != "none"
        if in_conversation:
            context, self._context = self._context, ResponseContext()
        else:  # an out-of-band response leaves the conversation's pending turns alone
            context = ResponseContext(caller_texts=list(self._context.caller_texts))
        context.instructions = options.get("instructions")
        context.tools = list(options.get("tools", self.session.get("tools")) or [])
        modalities = options.get("output_modalities") or self.session.get("output_modalities") or ["audio"]
        response = _Response(new_id("resp"), list(modalities), in_conversation, options.get("metadata"))
        self._response_id = response.id
        self._current = response
        self._open = None
        self._outputs = []
        self._response_usage = {"input_tokens": 0, "output_tokens": 0, "audio_ms": 0}
        self._response = asyncio.create_task(self._run_response(response, context))

    async def _cancel_response(self, *, reason: str = "client_cancelled", emit: bool = True) -> None:
        """Stop the running response and close it as the service does: the cut item first, then response.done."""
        task, self._response = self._response, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if not emit:
            return
        if self._open is not None:
            await self._close_output(self._open, "incomplete")
        await self._response_done(self._current, "cancelled", {"type": "cancelled", "reason": reason})

    async def _run_response(self, response: _Response, context: ResponseContext) -> None:
        await self._send("response.created", response=self._response_json(response, "in_progress", None))
        plan: AgentTurn = self.agent.respond(context)
        heard = " ".join(context.caller_texts) + (context.instructions or "") + " ".join(context.tool_outputs)
        self._response_usage["input_tokens"] = 50 + len(heard.split()) * 2
        if plan.text:
            await self._say(response, plan.text)
        for call in plan.tool_calls:
            await self._call_tool(response, call.name, json.dumps(call.arguments))
        self._response = None
        await self._response_done(response, "completed", None)

    async def _begin_output(self, response: _Response, item: Item) -> int:
        index = len(self._outputs) + (1 if self._open else 0)
        shell = self._item_json(item)
        if response.in_conversation:
            previous = self._last_item_id()
            self.items[item.id] = item
        await self._send("response.output_item.added", response_id=response.id, output_index=index, item=shell)
        if response.in_conversation:
            await self._send("conversation.item.added", previous_item_id=previous, item=shell)
        return index

    async def _say(self, response: _Response, text: str) -> None:
        """One assistant message: audio with its transcript streamed alongside, or text only."""
        audio_out = "audio" in response.modalities
        item = Item(new_id("item"), "message", role="assistant", status="in_progress")
        index = await self._begin_output(response, item)
        opened = _OpenOutput(response, item, index, "audio" if audio_out else "text", text.split())
        self._open = opened
        ids = {"response_id": response.id, "item_id": item.id, "output_index": index, "content_index": 0}
        part = {"type": "audio", "transcript": ""} if audio_out else {"type": "text", "text": ""}
        await self._send("response.content_part.added", **ids, part=part)
        audio = await asyncio.to_thread(self._voice, text) if audio_out else b""
        chunk = _DELTA_MS * _BYTES_PER_MS
        # Text alone is paced like speech (a word every 300 ms, sped up like the audio).
        length_ms = len(audio) // _BYTES_PER_MS if audio_out else len(opened.words) * 300
        pieces = max(1, math.ceil(length_ms / _DELTA_MS))
        started = time.monotonic()
        for n in range(pieces):
            piece = audio[n * chunk : (n + 1) * chunk]
            if audio_out and piece:
                item.audio += piece
                self._response_usage["audio_ms"] += len(piece) // _BYTES_PER_MS
                await self._send("response.output_audio.delta", **ids, delta=base64.b64encode(piece).decode())
            # The words spoken so far follow the audio, as the service streams its transcript.
            await self._say_words(opened, ids, len(opened.words) * (n + 1) // pieces)
            # Faster than real time, like the service: the client buffers and paces playback.
            await asyncio.sleep(max(0.0, started + (n + 1) * _DELTA_MS / 1000 / self._speedup - time.monotonic()))
        await self._close_output(opened, "completed")

    async def _say_words(self, opened: _OpenOutput, ids: dict[str, Any], due: int) -> None:
        if due <= opened.said:
            return
        delta = (" " if opened.said else "") + " ".join(opened.words[opened.said : due])
        opened.said = due
        opened.item.text = " ".join(opened.words[:due])
        kind = "response.output_audio_transcript.delta" if opened.kind == "audio" else "response.output_text.delta"
        await self._send(kind, **ids, delta=delta)

    async def _close_output(self, opened: _OpenOutput, status: str) -> None:
        """The closing events of an assistant message, whether it finished or was cut off."""
        self._open = None
        item, response = opened.item, opened.response
        ids = {"response_id": response.id, "item_id": item.id, "output_index": opened.index, "content_index": 0}
        if opened.kind == "audio":
            await self._send("response.output_audio.done", **ids)
            await self._send("response.output_audio_transcript.done", **ids, transcript=item.text)
            part: dict[str, Any] = {"type": "audio", "transcript": item.text}
            item.content = [{"type": "output_audio", "transcript": item.text}]
        else:
            await self._send("response.output_text.done", **ids, text=item.text)
            part = {"type": "text", "text": item.text}
            item.content = [{"type": "output_text", "text": item.text}]
        await self._send("response.content_part.done", **ids, part=part)
        item.status = status
        done = self._item_json(item)
        await self._send("response.output_item.done", response_id=response.id, output_index=opened.index, item=done)
        if response.in_conversation:
            await self._send("conversation.item.done", previous_item_id=self._previous_of(item.id), item=done)
        self._outputs.append(done)
        self._response_usage["output_tokens"] += len(item.text.split()) * 2

    async def _call_tool(self, response: _Response, name: str, arguments: str) -> None:
        item = Item(new_id("item"), "function_call", call_id=new_id("call"), name=name, status="in_progress")
        index = await self._begin_output(response, item)
        ids = {"response_id": response.id, "item_id": item.id, "output_index": index, "call_id": item.call_id}
        await self._send("response.function_call_arguments.delta", **ids, delta=arguments)
        await self._send("response.function_call_arguments.done", **ids, name=name, arguments=arguments)
        item.arguments, item.status = arguments, "completed"
        done = self._item_json(item)
        await self._send("response.output_item.done", response_id=response.id, output_index=index, item=done)
        if response.in_conversation:
            await self._send("conversation.item.done", previous_item_id=self._previous_of(item.id), item=done)
        self._outputs.append(done)
        self._response_usage["output_tokens"] += 10 + len(arguments) // 4

    def _response_json(self, response: _Response, status: str, details: dict[str, Any] | None) -> dict[str, Any]:
        output = self.session["audio"]["output"]
        return {
            "id": response.id,
            "object": "realtime.response",
            "status": status,
            "status_details": details,
            "output": list(self._outputs) if status != "in_progress" else [],
            "conversation_id": self._conversation_id if response.in_conversation else None,
            "output_modalities": response.modalities,
            "max_output_tokens": "inf",
            "metadata": response.metadata,
            "audio": {"output": {"format": output.get("format"), "voice": output.get("voice")}},
        }

    async def _response_done(self, response: _Response, status: str, details: dict[str, Any] | None) -> None:
        for held in self._held_transcripts:  # a late input transcription still comes before response.done
            await self._send(held.pop("type"), **held)
        self._held_transcripts.clear()
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
        await self._send("response.done", response=self._response_json(response, status, details) | {"usage": usage})

    async def _send(self, event_type: str, **fields: Any) -> None:
        if not self.closed:
            await self._emit({"type": event_type, "event_id": new_id("event"), **fields})


@dataclass(frozen=True)
class _Response:
    """What a response.create asked for."""

    id: str
    modalities: list[str]
    in_conversation: bool  # False for conversation "none": its items stay out of the conversation
    metadata: Any = None


@dataclass
class _OpenOutput:
    """The assistant message being streamed, so a cancel can close it where it stands."""

    response: _Response
    item: Item
    index: int
    kind: str  # "audio" or "text"
    words: list[str]
    said: int = 0  # words already sent as transcript (or text) deltas

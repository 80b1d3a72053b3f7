"""The bridge's browser endpoint (`/web/realtime`): a Voice Live web session relayed for a browser.

A websockets client plays the browser (Realtime GA events over the socket); behind the bridge is the
simulator's `/voice-live/realtime`. Refusals close with 44xx codes before anything is opened.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from bridge.tokens import issue_web_token
from tests.bridge.harness import SECRET, FakeFunctionApp, Stack, running_stack, wait_until

ORIGIN = "http://localhost:5173"


def web_url(stack: Stack, agent: str = "healthcare", token: str | None = None) -> str:
    query = f"agent={agent}" + (f"&token={token}" if token is not None else "")
    return f"ws://127.0.0.1:{stack.bridge.port}/web/realtime?{query}"


async def close_code_of(url: str, origin: str | None = ORIGIN) -> int:
    """Connect as a browser would and return the close code the bridge answers with."""
    async with connect(url, origin=Origin(origin) if origin else None, close_timeout=2) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


@contextlib.asynccontextmanager
async def web_stack(scenario: dict[str, Any] | None = None, **overrides: Any) -> AsyncIterator[Stack]:
    fapp = overrides.pop("function_app", None) or FakeFunctionApp(backend="voice-live")
    settings = {"web_allowed_origins": (ORIGIN,), **overrides}
    async with running_stack(scenario, fapp, **settings) as stack:
        yield stack


async def test_refused_tokens_close_with_4401_or_4403_before_any_model_session_opens() -> None:
    now = time.time()
    async with web_stack() as stack:
        assert await close_code_of(web_url(stack)) == 4401  # missing
        forged = issue_web_token("web_1", "healthcare", "another-secret-of-at-least-32-chars")
        assert await close_code_of(web_url(stack, token=forged)) == 4401
        expired = issue_web_token("web_2", "healthcare", SECRET, ttl_seconds=60, now=now - 600)
        assert await close_code_of(web_url(stack, token=expired)) == 4401
        other_agent = issue_web_token("web_3", "telecom", SECRET)
        assert await close_code_of(web_url(stack, "healthcare", other_agent)) == 4403
        assert await close_code_of(web_url(stack, token="not-a-jwt")) == 4401
        await asyncio.sleep(0.2)
        assert stack.simulator.conversations == [] and stack.function_app.web_agent_requests == []
    refused = stack.bridge.metrics.calls_refused
    assert refused["missing_token"] == 1 and refused["invalid_token"] == 2
    assert refused["expired_token"] == 1 and refused["token_for_other_agent"] == 1


async def test_an_origin_not_allowed_is_refused_with_4403_and_its_token_stays_unspent() -> None:
    async with web_stack() as stack:
        token = issue_web_token("web_o", "healthcare", SECRET)
        assert await close_code_of(web_url(stack, token=token), origin="https://evil.example") == 4403
        assert await close_code_of(web_url(stack, token=token), origin=None) == 4403
        async with connect(web_url(stack, token=token), origin=Origin(ORIGIN)) as socket:
            await wait_until(lambda: len(stack.simulator.conversations) == 1)  # the token still works once
            await socket.close()


async def test_a_token_opens_one_session_only() -> None:
    async with web_stack() as stack:
        token = issue_web_token("web_once", "healthcare", SECRET)
        async with connect(web_url(stack, token=token), origin=Origin(ORIGIN)):
            await wait_until(lambda: len(stack.simulator.conversations) == 1)
            assert await close_code_of(web_url(stack, token=token)) == 4401
        assert len(stack.simulator.conversations) == 1


async def test_too_many_sessions_from_one_client_are_refused_with_4429() -> None:
    async with web_stack(web_sessions_per_minute=1) as stack:
        first = issue_web_token("web_r1", "healthcare", SECRET)
        async with connect(web_url(stack, token=first), origin=Origin(ORIGIN)):
            second = issue_web_token("web_r2", "healthcare", SECRET)
            assert await close_code_of(web_url(stack, token=second)) == 4429


async def test_the_rate_limit_counts_the_address_the_ingress_appended_not_the_clients_claim() -> None:
    async with web_stack(web_sessions_per_minute=1) as stack:

        async def code(session: str, forwarded: str) -> int | None:
            """The close code the bridge answered with, or None when it admitted the session."""
            token = issue_web_token(session, "healthcare", SECRET)
            headers = {"X-Forwarded-For": forwarded}
            async with connect(web_url(stack, token=token), origin=Origin(ORIGIN), additional_headers=headers) as ws:
                try:
                    await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    return None  # still open: admitted
                except ConnectionClosed as closed:
                    return closed.rcvd.code if closed.rcvd else None
                return None  # an event arrived: admitted

        assert await code("web_a", "203.0.113.7") is None  # admitted (it would have been closed at once)
        assert await code("web_b", "198.51.100.1, 203.0.113.7") == 4429  # an invented first hop does not help
        assert await code("web_c", "203.0.113.8") is None  # another address has its own budget


def loud_chunk(ms: int = 100) -> str:
    t = np.arange(24 * ms) / 24000
    pcm = np.rint(8000 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()
    return json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()})


def quiet_chunk(ms: int = 100) -> str:
    pcm = bytes(48 * ms)
    return json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()})


class Browser:
    """The browser's side: records every event the bridge relays."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.events: list[dict[str, Any]] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in self.socket:
                self.events.append(json.loads(message))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]

    async def send(self, event: dict[str, Any] | str) -> None:
        await self.socket.send(event if isinstance(event, str) else json.dumps(event))

    async def close(self) -> None:
        await self.socket.close()
        await asyncio.wait_for(self._reader, 5)


async def test_a_web_turn_with_a_tool_call_is_relayed_to_voice_live_in_ga_event_names() -> None:
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
    async with web_stack(scenario) as stack:
        token = issue_web_token("web_turn", "healthcare", SECRET)
        async with connect(web_url(stack, token=token), origin=Origin(ORIGIN), max_size=None) as socket:
            browser = Browser(socket)
            await browser.send({"type": "response.create", "response": {"instructions": "Say: Hello"}})
            await wait_until(lambda: browser.of("response.done"))  # the greeting
            assert browser.of("response.output_audio.delta") and not browser.of("response.audio.delta")
            await browser.send({"type": "output_audio_buffer.clear"})  # a WebRTC-only event: refused, named
            await wait_until(lambda: browser.of("error"))
            assert "output_audio_buffer.clear" in browser.of("error")[0]["error"]["message"]
            for _ in range(3):
                await browser.send(loud_chunk())
            for _ in range(6):
                await browser.send(quiet_chunk())
            await wait_until(lambda: browser.of("response.function_call_arguments.done"))
            call = browser.of("response.function_call_arguments.done")[0]
            assert call["name"] == "get_balance" and json.loads(call["arguments"]) == {"account": "42"}
            assert browser.of("input_audio_buffer.speech_started")
            # The browser runs the tool through the function app (web channel) and hands the output back.
            output = {"type": "function_call_output", "call_id": call["call_id"], "output": '{"balance": 12}'}
            await browser.send({"type": "conversation.item.create", "item": output})
            await browser.send({"type": "response.create"})
            transcripts = lambda: [e["transcript"] for e in browser.of("response.output_audio_transcript.done")]  # noqa: E731
            await wait_until(lambda: "Your balance 12." in transcripts())
            callers = [e["transcript"] for e in browser.of("conversation.item.input_audio_transcription.completed")]
            assert callers == ["what is my balance"]
            await browser.close()
        conversation = stack.simulator.conversations[0]
        assert stack.simulator.dialects == ["voice-live"]
        assert conversation.session["audio"]["output"]["voice"] == "en-US-Ava:DragonHDLatestNeural"  # the bridge set it
        assert stack.function_app.web_agent_requests == [("web_turn", "healthcare")]
        assert stack.function_app.keys_seen == {"test-function-key"}
        await wait_until(lambda: not stack.bridge.web_sessions)


async def test_a_browser_session_update_cannot_change_the_voice_or_model() -> None:
    async with web_stack() as stack:
        token = issue_web_token("web_upd", "healthcare", SECRET)
        async with connect(web_url(stack, token=token), origin=Origin(ORIGIN)) as socket:
            browser = Browser(socket)
            await wait_until(lambda: len(stack.simulator.conversations) == 1)
            update = {"instructions": "Be brief.", "voice": {"type": "openai", "name": "alloy"}, "model": "x"}
            await browser.send({"type": "session.update", "session": update})
            conversation = stack.simulator.conversations[0]
            await wait_until(lambda: conversation.session.get("instructions") == "Be brief.")
            assert conversation.session["audio"]["output"]["voice"] == "en-US-Ava:DragonHDLatestNeural"
            await browser.close()


async def test_a_binary_frame_ends_the_session_with_1003_and_the_model_session_is_closed() -> None:
    async with web_stack() as stack:
        token = issue_web_token("web_bin", "healthcare", SECRET)
        async with connect(web_url(stack, token=token), origin=Origin(ORIGIN)) as socket:
            await wait_until(lambda: len(stack.simulator.conversations) == 1)
            await socket.send(b"\x00\x01")
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
        await wait_until(lambda: not stack.bridge.web_sessions)


async def test_draining_ends_browser_sessions_with_1001_and_refuses_new_ones_with_1013() -> None:
    async with web_stack(drain_seconds=0.1) as stack:
        token = issue_web_token("web_drain", "healthcare", SECRET)
        async with connect(web_url(stack, token=token), origin=Origin(ORIGIN)) as socket:
            await wait_until(lambda: len(stack.bridge.web_sessions) == 1)
            stack.bridge.draining = True
            late = issue_web_token("web_late", "healthcare", SECRET)
            assert await close_code_of(web_url(stack, token=late)) == 1013
            stack.bridge.draining = False
            await stack.bridge.drain()
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001

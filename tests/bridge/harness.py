"""Test harness for the bridge: a loopback function app (docs/internal-api.md), the bridge, a fake ACS.

Everything runs in the test's event loop on 127.0.0.1 with ephemeral ports; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from bridge.server import BridgeServer
from bridge.settings import BridgeSettings
from bridge.tokens import issue_media_token
from tests.devstack.realtime.harness import API_KEY, running_simulator
from tests.support.servers import serve_in_loop

SECRET = "test-call-token-secret-0123456789"
FUNCTION_KEY = "test-function-key"

ToolHandler = Callable[[dict[str, Any]], Awaitable[tuple[int, dict[str, Any]]]]


# The speech backend FakeFunctionApp's agent uses unless told otherwise; test modules that run their
# scenarios on both backends switch it per test (monkeypatch).
DEFAULT_BACKEND = "realtime"


def voice_live_session(
    tools: list[dict[str, Any]] | None = None, voice: str = "en-US-Ava:DragonHDLatestNeural", **extra: Any
) -> dict[str, Any]:
    """A Voice Live session as the function app renders it (callcenter/agents/session.py)."""
    return {
        "modalities": ["text", "audio"],
        "instructions": "You are a test agent.",
        "tools": tools or [],
        "tool_choice": "auto",
        "input_audio_format": "pcm16",
        "input_audio_sampling_rate": 24000,
        "output_audio_format": "pcm16",
        "voice": {"type": "azure-standard", "name": voice},
        "turn_detection": {"type": "azure_semantic_vad", "threshold": 0.5, "silence_duration_ms": 200},
        "input_audio_noise_reduction": {"type": "azure_deep_noise_suppression"},
        "input_audio_echo_cancellation": {"type": "server_echo_cancellation"},
        "input_audio_transcription": {"model": "azure-speech"},
        **extra,
    }


def session_for(backend: str, instructions: str, tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A handoff's session in `backend`'s dialect (no voice: a handoff keeps the call's voice)."""
    if backend == "voice-live":
        session = voice_live_session(tools, instructions=instructions)
        session.pop("voice")
        return session
    return {"type": "realtime", "instructions": instructions, "tools": tools or []}


def agent_session(tools: list[dict[str, Any]] | None = None, voice: str = "alloy") -> dict[str, Any]:
    return {
        "type": "realtime",
        "instructions": "You are a test agent.",
        "tools": tools or [],
        "tool_choice": "auto",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "turn_detection": {"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 200},
                "transcription": {"model": "whisper-1"},
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": voice},
        },
    }


@dataclass
class FakeFunctionApp:
    """Implements the three internal endpoints and records every request."""

    greeting: str = "Hi"
    tools: dict[str, ToolHandler] = field(default_factory=dict)
    known_calls: set[str] | None = None  # None: every call id is known
    agent_requests: list[str] = field(default_factory=list)
    tool_requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    event_batches: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    keys_seen: set[str] = field(default_factory=set)
    backend: str = field(default_factory=lambda: DEFAULT_BACKEND)
    web_agent_requests: list[tuple[str, str]] = field(default_factory=list)  # (session id, agent)

    def events(self, call_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for cid, batch in self.event_batches
            for e in batch
            if (call_id is None or cid == call_id) and (kind is None or e["type"] == kind)
        ]

    def app(self) -> Starlette:
        async def agent(request: Request) -> JSONResponse:
            self.keys_seen.add(request.headers.get("x-functions-key", ""))
            call_id = request.path_params["call_id"]
            self.agent_requests.append(call_id)
            if self.known_calls is not None and call_id not in self.known_calls:
                return JSONResponse({"error": {"code": "not_found", "message": "unknown call"}}, status_code=404)
            tools = [
                {"type": "function", "name": n, "description": n, "parameters": {"type": "object"}} for n in self.tools
            ]
            voice_live = self.backend == "voice-live"
            body = {
                "call_id": call_id,
                "agent": "test",
                "backend": self.backend,
                "model": "gpt-realtime" if voice_live else None,
                "session": voice_live_session(tools) if voice_live else agent_session(tools),
                "greeting": self.greeting,
                "max_call_seconds": 1800,
            }
            return JSONResponse(body)

        async def web_agent(request: Request) -> JSONResponse:
            self.keys_seen.add(request.headers.get("x-functions-key", ""))
            session_id, agent = request.path_params["session_id"], request.path_params["agent"]
            self.web_agent_requests.append((session_id, agent))
            tools = [
                {"type": "function", "name": n, "description": n, "parameters": {"type": "object"}} for n in self.tools
            ]
            body = {
                "call_id": session_id,
                "agent": agent,
                "backend": "voice-live",
                "model": "gpt-realtime",
                "session": voice_live_session(tools),
                "greeting": "",
                "max_call_seconds": 1800,
            }
            return JSONResponse(body)

        async def function_call(request: Request) -> JSONResponse:
            call_id = request.path_params["call_id"]
            body = await request.json()
            self.tool_requests.append((call_id, body))
            handler = self.tools.get(body["name"])
            if handler is None:
                return JSONResponse({"error": {"code": "unknown_tool", "message": "no such tool"}}, status_code=404)
            status, payload = await handler({**body, "call": call_id})
            return JSONResponse(payload, status_code=status)

        async def events(request: Request) -> JSONResponse:
            body = await request.json()
            self.event_batches.append((request.path_params["call_id"], body["events"]))
            return JSONResponse({"accepted": len(body["events"])}, status_code=202)

        return Starlette(
            routes=[
                Route("/api/internal/calls/{call_id}/agent", agent),
                Route("/api/internal/web-sessions/{session_id}/agents/{agent}", web_agent),
                Route("/api/internal/calls/{call_id}/function-call", function_call, methods=["POST"]),
                Route("/api/internal/calls/{call_id}/events", events, methods=["POST"]),
            ]
        )


@dataclass
class Stack:
    """A running bridge wired to a simulator and a fake function app."""

    bridge: BridgeServer
    function_app: FakeFunctionApp
    simulator: Any  # SimulatorState

    @property
    def media_base(self) -> str:
        return f"ws://127.0.0.1:{self.bridge.port}/acs/media"

    def url(self, call_id: str, token: str | None = None) -> str:
        return f"{self.media_base}/{call_id}?token={token or issue_media_token(call_id, SECRET)}"


@contextlib.asynccontextmanager
async def running_stack(
    scenario: dict[str, Any] | None = None,
    function_app: FakeFunctionApp | None = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """Simulator + fake function app + bridge, all on loopback, torn down afterwards."""
    fapp = function_app or FakeFunctionApp()
    async with running_simulator(scenario) as (sim, sim_url), serve_in_loop(fapp.app()) as fport:
        settings = BridgeSettings(
            host="127.0.0.1",
            port=0,
            call_token_secret=SECRET,
            function_app_url=f"http://127.0.0.1:{fport}",
            function_app_key=FUNCTION_KEY,
            openai_endpoint=sim_url,
            openai_api_key=API_KEY,
            realtime_deployment="gpt-realtime",
            voice_live_endpoint=sim_url,  # the simulator serves /voice-live/realtime too
            voice_live_api_key=API_KEY,
            event_flush_seconds=0.2,
            idle_timeout_seconds=5.0,
        )
        bridge = BridgeServer(replace(settings, **overrides))
        await bridge.start()
        try:
            yield Stack(bridge, fapp, sim)
        finally:
            await bridge.drain()
            await bridge.aclose()


def metadata(rate: int = 24000) -> str:
    return json.dumps(
        {
            "kind": "AudioMetadata",
            "audioMetadata": {
                "subscriptionId": "sub",
                "encoding": "PCM",
                "sampleRate": rate,
                "channels": 1,
                "length": rate // 25,
            },
        }
    )


def audio_frame(pcm: bytes, silent: bool = False) -> str:
    data = base64.b64encode(pcm).decode()
    return json.dumps(
        {
            "kind": "AudioData",
            "audioData": {
                "timestamp": "2025-01-01T00:00:00Z",
                "participantRawID": "4:+1555",
                "data": data,
                "silent": silent,
            },
        }
    )


class FakeAcs:
    """The ACS side of a media socket: sends frames, records what the bridge plays back."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.received: list[dict[str, Any]] = []  # every frame from the bridge, in order
        self.arrivals: list[float] = []  # monotonic arrival time of each received frame
        self.closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.socket:
                self.arrivals.append(time.monotonic())
                self.received.append(json.loads(message))
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()

    def audio(self) -> bytes:
        return b"".join(base64.b64decode(m["audioData"]["data"]) for m in self.received if m["kind"] == "AudioData")

    def heard_ms_before_stop(self) -> float:
        """What a caller heard before StopAudio, playing frames back to back as they arrive (like ACS)."""
        stop = self.kinds().index("StopAudio")
        stop_at, buffer_end, heard = self.arrivals[stop], 0.0, 0.0
        for message, arrived in zip(self.received[:stop], self.arrivals[:stop], strict=True):
            if message["kind"] == "AudioData":
                start = max(arrived, buffer_end)
                buffer_end = start + 0.02
                heard += min(max(stop_at - start, 0.0), 0.02)
        return heard * 1000

    def kinds(self) -> list[str]:
        return [m["kind"] for m in self.received]

    async def wait_for(self, predicate: Callable[[], bool], seconds: float = 10.0) -> None:
        """Poll `predicate` (bounded); fail the test with a clear message on timeout."""
        for _ in range(int(seconds / 0.01)):
            if predicate():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("condition not met in time")

    async def close(self) -> None:
        if self.socket.state is not State.CLOSED:
            await self.socket.close()
        await asyncio.wait_for(self._reader, 5)


@contextlib.asynccontextmanager
async def acs_call(
    stack: Stack, call_id: str, rate: int = 24000, *, send_metadata: bool = True
) -> AsyncIterator[FakeAcs]:
    async with connect(stack.url(call_id), max_size=None, close_timeout=2) as socket:
        if send_metadata:
            with contextlib.suppress(ConnectionClosed):  # a refused call is closed straight away
                await socket.send(metadata(rate))
        acs = FakeAcs(socket)
        try:
            yield acs
        finally:
            await acs.close()


async def wait_until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Bounded polling for conditions outside a FakeAcs."""
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")

"""Loopback stand-ins for the ACS simulator tests: the simulator itself, a callback/Event Grid
receiver that records what arrives, and a tiny media WebSocket server standing in for the bridge."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from azure.communication.callautomation import (
    AudioFormat,
    CallAutomationClient,
    MediaStreamingAudioChannelType,
    MediaStreamingContentType,
    MediaStreamingOptions,
    StreamingTransportType,
)
from azure.core.credentials import AzureKeyCredential
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from devstack.acs import SimulatorConfig, create_app
from tests.support.servers import serve

ACCESS_KEY = base64.b64encode(b"acs-simulator-test-key-32-bytes!").decode()
RESOURCE_ID = "5e1f0a1e-0000-4000-8000-00000000acs1"
POLL_LIMIT = 400  # x 25 ms: a guard against hangs, not a timing assertion


@dataclass
class Receiver:
    """Records every POST (callbacks or Event Grid deliveries); answers with scripted statuses."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # consumed one per request; 200 after
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def record(request: Request) -> Response:
            body = json.loads(await request.body())
            with self.lock:
                self.requests.append(
                    {
                        "path": request.url.path,
                        "query": dict(request.query_params),
                        "headers": dict(request.headers),
                        "body": body,
                    }
                )
                status = self.statuses.pop(0) if self.statuses else 200
            return JSONResponse({}, status_code=status)

        return Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])

    def events(self, call_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            found = [event for r in self.requests for event in r["body"]]
        return [e for e in found if call_id is None or e.get("data", {}).get("callConnectionId") == call_id]

    def types(self, call_id: str) -> list[str]:
        return [e["type"].removeprefix("Microsoft.Communication.") for e in self.events(call_id)]


@dataclass
class FakeBridge:
    """Stands in for the bridge's media endpoint: records what ACS sends, plays agent audio back."""

    agent_pcm: bytes = b""  # sent as AudioData right after AudioMetadata
    stop_audio_after_send: bool = False
    refuse: bool = False  # close before accepting: the handshake fails with 403
    close_code_after_metadata: int | None = None  # close abnormally once metadata arrived
    headers: dict[str, str] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0

    def app(self) -> Starlette:
        async def media(websocket: WebSocket) -> None:
            if self.refuse:
                await websocket.close(code=1008)
                return
            self.connections += 1
            self.headers = dict(websocket.headers)
            await websocket.accept()
            try:
                while True:
                    message = json.loads(await websocket.receive_text())
                    self.messages.append(message)
                    if message["kind"] != "AudioMetadata":
                        continue
                    if self.close_code_after_metadata is not None:
                        await websocket.close(code=self.close_code_after_metadata)
                        return
                    for start in range(0, len(self.agent_pcm), 960):
                        chunk = base64.b64encode(self.agent_pcm[start : start + 960]).decode()
                        await websocket.send_text(json.dumps({"kind": "AudioData", "audioData": {"data": chunk}}))
                    if self.stop_audio_after_send:
                        await websocket.send_text(json.dumps({"kind": "StopAudio", "audioData": None, "stopAudio": {}}))
            except WebSocketDisconnect:
                return

        return Starlette(routes=[WebSocketRoute("/acs/media/{call_id}", media)])

    def kinds(self) -> list[str]:
        return [m["kind"] for m in self.messages]


def tone(seconds: float, amplitude: int = 8000) -> bytes:
    t = np.arange(int(24000 * seconds)) / 24000
    return np.rint(amplitude * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


@dataclass
class Stack:
    """One running simulator plus its stand-ins."""

    base: str
    callbacks: Receiver
    callback_url: str
    event_grid: Receiver
    event_grid_url: str
    bridge: FakeBridge
    bridge_url: str

    def client(self, key: str = ACCESS_KEY) -> CallAutomationClient:
        return CallAutomationClient(self.base, AzureKeyCredential(key))

    def media(self, call_tag: str = "c1", start: bool = True, dtmf: bool = True) -> MediaStreamingOptions:
        return MediaStreamingOptions(
            transport_url=f"{self.bridge_url}/acs/media/{call_tag}?token=secret-media-token",
            transport_type=StreamingTransportType.WEBSOCKET,
            content_type=MediaStreamingContentType.AUDIO,
            audio_channel_type=MediaStreamingAudioChannelType.MIXED,
            start_media_streaming=start,
            enable_bidirectional=True,
            audio_format=AudioFormat.PCM24_K_MONO,
            enable_dtmf_tones=dtmf,
        )

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.base + path, timeout=10, **kwargs)

    def call(self, call_id: str) -> dict[str, Any]:
        response = self.control("GET", f"/simulator/calls/{call_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_for(self, check: Callable[[], Any], what: str) -> Any:
        for _ in range(POLL_LIMIT):
            value = check()
            if value:
                return value
            time.sleep(0.025)
        raise AssertionError(f"gave up waiting for {what}")

    def wait_for_event(self, call_id: str, event_type: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((e for e in self.callbacks.events(call_id) if e["type"].endswith("." + event_type)), None)

        return dict(self.wait_for(found, f"{event_type} for call {call_id}"))

    def wait_for_state(self, call_id: str, state: str) -> dict[str, Any]:
        return dict(self.wait_for(lambda: (c := self.call(call_id))["state"] == state and c, f"state {state}"))

    def behaviours(self, **entries: Any) -> None:
        body = {key.replace("_plus_", "+"): value for key, value in entries.items()}
        response = self.control("POST", "/simulator/behaviours", json=body)
        assert response.status_code == 200, response.text


@contextlib.contextmanager
def running_stack(tmp_path: Path, bridge: FakeBridge | None = None, **config: Any) -> Iterator[Stack]:
    """Start the simulator (tone voice, fast media clock), a callback/Event Grid receiver and a bridge."""
    callbacks, event_grid, fake_bridge = Receiver(), Receiver(), bridge or FakeBridge()
    with (
        serve(callbacks.app()) as callback_base,
        serve(event_grid.app()) as event_grid_base,
        serve(fake_bridge.app()) as bridge_base,
    ):
        settings: dict[str, Any] = {
            "access_key": ACCESS_KEY,
            "resource_id": RESOURCE_ID,
            "event_grid_url": f"{event_grid_base}/runtime/webhooks/eventgrid?functionName=incoming_call&code=k",
            "event_grid_retry_delays": (0.05, 0.05, 0.05),
            "voice": "tone",
            "speedup": 4.0,
            "recordings_dir": tmp_path / "recordings",
            "connect_seconds": 0.01,
        }
        settings.update(config)
        with serve(create_app(SimulatorConfig(**settings))) as base:
            yield Stack(
                base=base,
                callbacks=callbacks,
                callback_url=f"{callback_base}/api/callbacks/c1?token=secret-callback-token",
                event_grid=event_grid,
                event_grid_url=settings["event_grid_url"],
                bridge=fake_bridge,
                bridge_url=bridge_base.replace("http://", "ws://"),
            )

"""How a contract reaches the Realtime API: the simulator (stand-in) or Azure OpenAI (real).

Both are spoken to exactly as the bridge does: `{endpoint}/openai/v1/realtime?model=<deployment>` over
WebSocket with `api-key` (or an Entra ID bearer token when no key is set), GA protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.contract.targets import STANDIN
from tests.devstack.realtime.harness import API_KEY, running_simulator

EVENT_LIMIT = 2000  # events read while waiting for one type: a guard against hangs
WAIT_SECONDS = 60.0  # for one awaited event (a real model's long answer included); a hang guard


def ws_url(endpoint: str, deployment: str) -> str:
    base = endpoint.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
    return f"{base}/openai/v1/realtime?model={deployment}"


def _azure_headers() -> dict[str, str]:
    key = os.environ.get("AZURE_OPENAI_API_KEY", "").strip()
    if key:
        return {"api-key": key}
    from azure.identity import DefaultAzureCredential

    token = DefaultAzureCredential().get_token("https://cognitiveservices.azure.com/.default")
    return {"Authorization": f"Bearer {token.token}"}


@contextlib.asynccontextmanager
async def realtime_socket(target: str, turns: list[dict[str, Any]] | None = None) -> AsyncIterator[ClientConnection]:
    """A Realtime session; `turns` script the stand-in's replies (the real model answers by itself)."""
    if target == STANDIN:
        scenario = {"greeting": "Hello.", "turns": turns or []}
        async with (
            running_simulator(scenario) as (_, base),
            connect(ws_url(base, "gpt-realtime"), additional_headers={"api-key": API_KEY}) as socket,
        ):
            yield socket
        return
    url = ws_url(os.environ["AZURE_OPENAI_ENDPOINT"], os.environ["AZURE_OPENAI_REALTIME_DEPLOYMENT"])
    async with connect(url, additional_headers=_azure_headers(), max_size=None) as socket:
        yield socket


async def send(socket: ClientConnection, event_type: str, **fields: Any) -> None:
    await socket.send(json.dumps({"type": event_type, **fields}))


async def events_until(socket: ClientConnection, wanted: str, seconds: float = WAIT_SECONDS) -> list[dict[str, Any]]:
    """Every event up to and including the first of type `wanted`.

    Raises:
        TimeoutError: nothing of that type within `seconds` (the service never sent it).
    """
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(seconds):
        for _ in range(EVENT_LIMIT):
            event = json.loads(await socket.recv(decode=True))
            seen.append(event)
            if event["type"] == wanted:
                return seen
    raise AssertionError(f"no {wanted} within {EVENT_LIMIT} events: {[e['type'] for e in seen[-20:]]}")


async def next_of(socket: ClientConnection, wanted: str, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
    return (await events_until(socket, wanted, seconds))[-1]

"""How a contract reaches Azure AI Voice Live: the simulator's `/voice-live/realtime` (stand-in) or a resource.

Both are reached at the URL the bridge builds (`BridgeSettings.voice_live_url`) with `api-key` (or an
Entra ID bearer token when no key is set). Every server event is checked against the official
`azure-ai-voicelive` SDK: its type must be one the SDK models, with every field the model requires.
"""

from __future__ import annotations

import contextlib
import os
import typing
from collections.abc import AsyncIterator
from types import NoneType
from typing import Any

import azure.ai.voicelive.models as vl
import azure.ai.voicelive.models._models as sdk_models
from websockets.asyncio.client import ClientConnection, connect

from bridge.settings import VOICE_LIVE_API_VERSION, BridgeSettings
from tests.contract.targets import STANDIN
from tests.devstack.realtime.harness import API_KEY, running_simulator

MODEL = os.environ.get("VOICE_LIVE_MODEL", "gpt-realtime")
_NAMESPACE = {**vars(sdk_models), "_models": vl}  # the SDK's annotations name the models package


def _azure_headers() -> dict[str, str]:
    key = os.environ.get("VOICE_LIVE_API_KEY", "").strip()
    if key:
        return {"api-key": key}
    from azure.identity import DefaultAzureCredential

    token = DefaultAzureCredential().get_token("https://cognitiveservices.azure.com/.default")
    return {"Authorization": f"Bearer {token.token}"}


def _url(endpoint: str) -> str:
    version = os.environ.get("VOICE_LIVE_API_VERSION", "").strip() or VOICE_LIVE_API_VERSION
    settings = BridgeSettings(voice_live_endpoint=endpoint.rstrip("/"), voice_live_api_version=version)
    return settings.voice_live_url(MODEL)


@contextlib.asynccontextmanager
async def voice_live_socket(target: str, turns: list[dict[str, Any]] | None = None) -> AsyncIterator[ClientConnection]:
    """A Voice Live session; `turns` script the stand-in's replies (the real model answers by itself)."""
    if target == STANDIN:
        scenario = {"greeting": "Hello.", "turns": turns or []}
        async with (
            running_simulator(scenario) as (_, base),
            connect(_url(base), additional_headers={"api-key": API_KEY}) as socket,
        ):
            yield socket
        return
    async with connect(
        _url(os.environ["VOICE_LIVE_ENDPOINT"]), additional_headers=_azure_headers(), max_size=None
    ) as socket:
        yield socket


def sdk_checked(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events, each one the SDK models as its own type with every required field present."""
    for event in events:
        model = type(vl.ServerEvent._deserialize(event, []))  # type: ignore[attr-defined]
        assert model is not vl.ServerEvent, f"{event.get('type')}: not a Voice Live server event"
        for name, hint in typing.get_type_hints(model, globalns=_NAMESPACE).items():
            field = model._attr_to_rest_field.get(name)  # type: ignore[attr-defined]
            if field is not None and NoneType not in typing.get_args(hint):
                assert field._rest_name in event, f"{event['type']}: missing '{field._rest_name}'"
    return events

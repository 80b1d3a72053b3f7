"""Opening the Realtime WebSocket: URL, authentication and socket limits.

With `AZURE_OPENAI_API_KEY` set the bridge sends the `api-key` header; without it, an Entra ID
bearer token from `DefaultAzureCredential` (managed identity on Azure), cached until shortly before
it expires so a burst of calls does not hit the identity endpoint once per call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from websockets.asyncio.client import connect

from bridge.settings import BridgeSettings
from bridge.websocket import PushClientConnection

log = logging.getLogger("bridge.model")

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
# Realtime audio deltas can be large (seconds of base64 audio); session events are small.
MAX_MODEL_MESSAGE_BYTES = 16 * 1024 * 1024


class ModelConnectError(Exception):
    """The Realtime session could not be opened."""


class ModelConnector:
    """Opens authenticated Realtime WebSocket sessions for calls."""

    def __init__(self, settings: BridgeSettings, *, open_timeout: float = 10.0) -> None:
        self._settings = settings
        self._url = settings.realtime_url
        self._api_key = settings.openai_api_key
        self._open_timeout = open_timeout
        self._credential: Any = None  # azure.identity.aio.DefaultAzureCredential, created lazily
        self._token: str = ""
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def _auth_headers(self, api_key: str) -> dict[str, str]:
        """`api-key` when one is configured, else a bearer token (one credential serves both services)."""
        if api_key:
            return {"api-key": api_key}
        async with self._token_lock:
            if time.time() > self._token_expires - 300:
                from azure.identity.aio import DefaultAzureCredential  # only needed without a key

                if self._credential is None:
                    self._credential = DefaultAzureCredential()
                token = await self._credential.get_token(COGNITIVE_SCOPE)
                self._token, self._token_expires = token.token, float(token.expires_on)
        return {"Authorization": f"Bearer {self._token}"}

    async def open(self, backend: str = "realtime", model: str = "") -> PushClientConnection:
        """Connect to the Realtime deployment, or to Voice Live with `model` when `backend` is `voice-live`.

        Raises:
            ModelConnectError: refused handshake, network failure, timeout, no credential, or a
                Voice Live agent while no Voice Live endpoint is configured.
        """
        url, api_key = self._url, self._api_key
        if backend == "voice-live":
            if not self._settings.voice_live_endpoint:
                raise ModelConnectError("the agent uses Voice Live but VOICE_LIVE_ENDPOINT is not set")
            url = self._settings.voice_live_url(model or "gpt-realtime")
            api_key = self._settings.voice_live_api_key
        try:
            headers = await self._auth_headers(api_key)
            connection = await connect(
                url,
                create_connection=PushClientConnection,  # events go to a handler, no queue (websocket.py)
                additional_headers=headers,
                open_timeout=self._open_timeout,
                close_timeout=1.0,  # a hung-up call must not keep a billed session open
                max_size=MAX_MODEL_MESSAGE_BYTES,
                compression=None,  # audio does not compress; deflate would only cost CPU
                ping_interval=20.0,
                ping_timeout=20.0,
            )
        except Exception as exc:  # every failure means the same thing: no model session
            raise ModelConnectError(f"{type(exc).__name__}: {_describe(exc)}") from None
        assert isinstance(connection, PushClientConnection)
        return connection

    async def aclose(self) -> None:
        if self._credential is not None:
            await self._credential.close()


def _describe(exc: Exception) -> str:
    """A short reason that never contains headers (the key or token could be in them)."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return f"HTTP {status}" if status else str(exc)[:200]

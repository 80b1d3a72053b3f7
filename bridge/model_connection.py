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
        self._url = settings.realtime_url
        self._api_key = settings.openai_api_key
        self._open_timeout = open_timeout
        self._credential: Any = None  # azure.identity.aio.DefaultAzureCredential, created lazily
        self._token: str = ""
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def _auth_headers(self) -> dict[str, str]:
        if self._api_key:
            return {"api-key": self._api_key}
        async with self._token_lock:
            if time.time() > self._token_expires - 300:
                from azure.identity.aio import DefaultAzureCredential  # only needed without a key

                if self._credential is None:
                    self._credential = DefaultAzureCredential()
                token = await self._credential.get_token(COGNITIVE_SCOPE)
                self._token, self._token_expires = token.token, float(token.expires_on)
        return {"Authorization": f"Bearer {self._token}"}

    async def open(self) -> PushClientConnection:
        """Connect to the deployment's Realtime endpoint.

        Raises:
            ModelConnectError: refused handshake, network failure, timeout or no credential.
        """
        try:
            headers = await self._auth_headers()
            connection = await connect(
                self._url,
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

"""Opening the Realtime WebSocket: URL, authentication and socket limits.

With `AZURE_OPENAI_API_KEY` set the bridge sends the `api-key` header; without it, an Entra ID
bearer token from `DefaultAzureCredential` (managed identity on Azure), cached until shortly before
it expires so a burst of calls does not hit the identity endpoint once per call.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from typing import Any

from picows import ws_connect

from bridge.settings import BridgeSettings
from bridge.websocket import PushConnection

log = logging.getLogger("bridge.model")

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
# Realtime audio deltas can be large (seconds of base64 audio); session events are small.
MAX_MODEL_MESSAGE_BYTES = 16 * 1024 * 1024
# Caller audio queued for a model session that stopped reading before it is cut off (~16 s of
# appends); the relay then reconnects once, as for any dropped session.
MAX_MODEL_WRITE_BUFFER = 1024 * 1024


class ModelConnectError(Exception):
    """The Realtime session could not be opened."""


class ModelConnector:
    """Opens authenticated Realtime WebSocket sessions for calls."""

    def __init__(self, settings: BridgeSettings, *, open_timeout: float = 10.0, credential: Any = None) -> None:
        self._url = settings.realtime_url
        self._api_key = settings.openai_api_key
        self._open_timeout = open_timeout
        # An azure.identity.aio async credential; DefaultAzureCredential, created lazily, unless given.
        self._credential: Any = credential
        self._token: str = ""
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        # One TLS context for every session (system CAs, hostname checks): building one per call
        # would cost more CPU than the handshake it secures. None on ws:// (the devstack simulator).
        self._tls = ssl.create_default_context() if self._url.startswith("wss://") else None

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

    async def open(self) -> PushConnection:
        """Connect to the deployment's Realtime endpoint.

        Raises:
            ModelConnectError: refused handshake, network failure, timeout or no credential.
        """

        def listener() -> PushConnection:
            return PushConnection(
                max_message=MAX_MODEL_MESSAGE_BYTES,
                max_write_buffer=MAX_MODEL_WRITE_BUFFER,
                close_timeout=1.0,  # a hung-up call must not keep a billed session open
                name="model",
            )

        try:
            headers = await self._auth_headers()
            _, connection = await asyncio.wait_for(
                ws_connect(
                    listener,
                    self._url,
                    ssl_context=self._tls,
                    extra_headers=headers,
                    websocket_handshake_timeout=self._open_timeout,
                    max_frame_size=MAX_MODEL_MESSAGE_BYTES,
                    max_redirects=0,  # a redirect would carry the key or token somewhere else
                    enable_auto_ping=True,  # ping after 20 s of silence; no pong in 20 s ends it
                    auto_ping_idle_timeout=20.0,
                    auto_ping_reply_timeout=20.0,
                    logger_name="model",  # picows.model
                ),
                self._open_timeout,
            )  # picows never offers permessage-deflate: audio does not compress
        except Exception as exc:  # every failure means the same thing: no model session
            raise ModelConnectError(f"{type(exc).__name__}: {_describe(exc)}") from None
        assert isinstance(connection, PushConnection)
        return connection

    async def aclose(self) -> None:
        if self._credential is not None:
            await self._credential.close()


def _describe(exc: Exception) -> str:
    """A short reason that never contains headers (the key or token could be in them)."""
    status = getattr(getattr(exc, "response", None), "status", None)
    if status:
        return f"HTTP {int(status)}"
    first = exc.args[0] if exc.args else ""  # picows puts the raw response after the message
    return (first if isinstance(first, str) else str(exc))[:200]

"""ACS's signing keys for the media handshake: fetched at start-up, refreshed hourly and on a new key id.

The handshake check itself stays synchronous and pure (bridge/acs_auth.py); this module does the I/O.
When ACS_RESOURCE_ID is unset the check is off and the bridge logs so at start (per-call token only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import aiohttp

from bridge.acs_auth import AcsSigningKeys, UnknownSigningKey, jwks_uri, signing_keys, verify_acs_media_token
from bridge.settings import BridgeSettings

log = logging.getLogger("bridge.acs_keys")
REFRESH_SECONDS = 3600.0
MIN_REFRESH_GAP_SECONDS = 30.0  # a flood of unknown key ids refetches at most this often
FETCH_TIMEOUT_SECONDS = 10.0


class AcsMediaAuth:
    """Holds the current key set and verifies handshakes against it."""

    def __init__(self, settings: BridgeSettings) -> None:
        self.audience = settings.acs_resource_id  # empty: the check is off
        self.openid_config_url = settings.acs_openid_config_url
        self.keys: AcsSigningKeys | None = None  # set by refresh(); None until the first fetch succeeds
        self._last_fetch = 0.0
        self._refresher: asyncio.Task[None] | None = None
        self._pending: asyncio.Task[None] | None = None  # a refresh asked for by an unknown key id

    @property
    def enabled(self) -> bool:
        return bool(self.audience)

    async def start(self) -> None:
        """Fetch the keys once (a failure is logged; connections are refused until a fetch works)."""
        if not self.enabled:
            log.warning("ACS_RESOURCE_ID is not set: media connections are checked by the per-call token only")
            return
        await self.refresh()
        self._refresher = asyncio.create_task(self._refresh_periodically(), name="acs-keys-refresh")

    def verify(self, authorization: str | None) -> None:
        """Check the handshake's Authorization header.

        Raises:
            TokenError: missing or invalid ACS token (a new key id also schedules a refresh).
        """
        if not self.enabled:
            return
        keys = self.keys or AcsSigningKeys(issuer="", jwks_uri="")
        try:
            verify_acs_media_token(authorization, keys, self.audience)
        except UnknownSigningKey:
            self._refresh_soon()
            raise

    async def refresh(self) -> None:
        self._last_fetch = time.monotonic()
        try:
            timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
            async with aiohttp.ClientSession(timeout=timeout) as http:
                issuer, uri = jwks_uri(await _get_json(http, self.openid_config_url))
                self.keys = signing_keys(issuer, uri, await _get_json(http, uri))
            log.info("ACS signing keys loaded: %d keys from %s", len(self.keys.keys), uri)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.error("could not load ACS signing keys from %s: %s", self.openid_config_url, exc)

    def _refresh_soon(self) -> None:
        if self._pending is not None and not self._pending.done():
            return
        if time.monotonic() - self._last_fetch < MIN_REFRESH_GAP_SECONDS:
            return
        self._pending = asyncio.get_running_loop().create_task(self.refresh(), name="acs-keys-refetch")

    async def _refresh_periodically(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            await self.refresh()

    async def aclose(self) -> None:
        for task in (self._refresher, self._pending):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _get_json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        response.raise_for_status()
        return await response.json(content_type=None)

"""Outbound HTTP: signed callbacks to the app, and Event Grid deliveries of `IncomingCall`.

Callbacks for one call go out in order (one queue and worker per call), each request a JSON array
holding one CloudEvent with a fresh `Authorization: Bearer` token, as ACS does. Event Grid delivery
follows the Event Grid webhook contract: `aeg-*` headers, a JSON array in the Event Grid schema,
retries on failure with a bounded schedule, and no retry for 400 or 413 (Event Grid dead-letters
those at once). Every attempt is recorded so tests and the CLI can see what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from devstack.acs.events import utc_now_iso
from devstack.acs.signing import CallbackSigner

log = logging.getLogger("devstack.acs.delivery")
REQUEST_TIMEOUT_SECONDS = 10.0
CALLBACK_RETRY_DELAYS = (0.5, 1.0)  # ACS retries callbacks briefly; the app must de-duplicate
NO_RETRY_STATUSES = frozenset({400, 413})


@dataclass
class Attempt:
    """One HTTP attempt: what was sent where, and what came back."""

    event_id: str
    event_type: str
    attempt: int
    status: int | None  # None when the request never got a response
    error: str = ""
    at: str = field(default_factory=utc_now_iso)

    def wire(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.event_type,
            "attempt": self.attempt,
            "status": self.status,
            "error": self.error,
            "at": self.at,
        }


async def _post(client: httpx.AsyncClient, url: str, body: list[dict[str, Any]], headers: dict[str, str]) -> int:
    response = await client.post(url, json=body, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS)
    return response.status_code


class CallbackChannel:
    """The ordered stream of callback events for one call."""

    def __init__(self, *, call_id: str, client: httpx.AsyncClient, signer: CallbackSigner) -> None:
        self.call_id = call_id
        self.sent: list[dict[str, Any]] = []  # every event handed to the channel, in order
        self.attempts: list[Attempt] = []
        self._client = client
        self._signer = signer
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue()
        self._worker = asyncio.create_task(self._drain(), name=f"acs-callbacks-{call_id}")

    def send(self, url: str, event: dict[str, Any]) -> None:
        """Queue `event` for `url`; returns at once, delivery keeps the order of calls."""
        self.sent.append(event)
        self._queue.put_nowait((url, event))

    def resend(self, url: str, index: int) -> dict[str, Any]:
        """Deliver an already-sent event again, same id (what a retried delivery looks like).

        Raises:
            IndexError: no event at `index`.
        """
        event = self.sent[index]
        self._queue.put_nowait((url, event))
        return event

    async def flush(self) -> None:
        """Wait until everything queued so far has been attempted."""
        await self._queue.join()

    async def close(self) -> None:
        """Deliver what is queued, then stop the worker."""
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker

    async def _drain(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if item is None:
                    return
                await self._deliver(*item)
            finally:
                self._queue.task_done()

    async def _deliver(self, url: str, event: dict[str, Any]) -> None:
        for attempt, delay in enumerate((0.0, *CALLBACK_RETRY_DELAYS), start=1):
            await asyncio.sleep(delay)
            headers = {"Authorization": f"Bearer {self._signer.mint()}"}
            try:
                status = await _post(self._client, url, [event], headers)
            except httpx.HTTPError as exc:
                self.attempts.append(Attempt(event["id"], event["type"], attempt, None, type(exc).__name__))
                continue
            self.attempts.append(Attempt(event["id"], event["type"], attempt, status))
            if status < 500 and status != 429:
                if status >= 300:
                    log.warning("call %s: callback %s answered %d", self.call_id, event["type"], status)
                return
        log.warning("call %s: callback %s not delivered", self.call_id, event["type"])


class EventGridPublisher:
    """Delivers Event Grid events to one webhook endpoint with Event Grid's retry rules."""

    def __init__(
        self,
        *,
        url: str,
        client: httpx.AsyncClient,
        retry_delays: Sequence[float],
        subscription_name: str = "INCOMINGCALL",
    ) -> None:
        self.url = url
        self.retry_delays = tuple(retry_delays)
        self._client = client
        self._subscription = subscription_name

    async def deliver(self, event: dict[str, Any], attempts: list[Attempt]) -> bool:
        """POST `[event]` until a 2xx, a non-retryable status, or the schedule runs out."""
        for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
            await asyncio.sleep(delay)
            headers = {
                "aeg-event-type": "Notification",
                "aeg-subscription-name": self._subscription,
                "aeg-delivery-count": str(attempt - 1),
                "aeg-data-version": event.get("dataVersion", "1.0"),
                "aeg-metadata-version": event.get("metadataVersion", "1"),
            }
            try:
                status = await _post(self._client, self.url, [event], headers)
            except httpx.HTTPError as exc:
                attempts.append(Attempt(event["id"], event["eventType"], attempt, None, type(exc).__name__))
                continue
            attempts.append(Attempt(event["id"], event["eventType"], attempt, status))
            if 200 <= status < 300:
                return True
            if status in NO_RETRY_STATUSES:
                log.warning("event grid: %s answered %d, not retried (dead-lettered)", event["eventType"], status)
                return False
        log.warning("event grid: %s not delivered after %d attempts", event["eventType"], len(self.retry_delays) + 1)
        return False

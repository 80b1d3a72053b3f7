"""Starting a call's orchestration and raising events on it, shared by inbound, outbound and callbacks."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from callcenter.calls import CALL_EVENT, CallEvent, CallInput
from callcenter.config import Settings
from callcenter.store.calls import CallRecord

log = logging.getLogger("callcenter.telephony")

RECORDING_NOTICE = "This call is recorded for quality and training."


def inbound_call_id(server_call_id: str) -> str:
    """A call id derived from ACS's server call id, so a redelivered IncomingCall maps to the same call."""
    return "in-" + hashlib.sha256(server_call_id.encode()).hexdigest()[:24]


def orchestration_input(settings: Settings, record: CallRecord) -> CallInput:
    """The `call_lifecycle` input of a call whose record exists."""
    return {
        "call_id": record.call_id,
        "direction": record.direction,
        "agent": record.agent,
        "to_number": record.to_number,
        "call_connection_id": record.call_connection_id,
        "server_call_id": record.server_call_id,
        "record_call": settings.recording_enabled,
        "no_answer_seconds": settings.no_answer_seconds,
        "max_call_seconds": settings.max_call_seconds,
    }


# Connection failures to the Durable extension's local endpoint are retried: under load a pooled
# keep-alive connection can be closed by the host just as the SDK reuses it, and a lost event (a
# CallDisconnected) would leave the call open until its maximum duration. The orchestration ignores
# the rare duplicate this can cause.
RAISE_RETRY_DELAYS = (0.2, 0.5, 1.0)


async def raise_call_event(client: Any, call_id: str, event: CallEvent) -> bool:
    """Raise `event` on the call's orchestration; False (logged) when the instance is gone."""
    for delay in (*RAISE_RETRY_DELAYS, None):
        try:
            await client.raise_event(call_id, CALL_EVENT, event)
            return True
        except (OSError, TimeoutError, _client_error()) as exc:
            if delay is None:
                log.warning("call %s: could not raise %s (%s)", call_id, event["kind"], type(exc).__name__)
                return False
            await asyncio.sleep(delay)
        except Exception as exc:
            log.warning("call %s: could not raise %s (%s)", call_id, event["kind"], type(exc).__name__)
            return False
    return False


def _client_error() -> type[Exception]:
    import aiohttp  # the Durable SDK's HTTP client (loaded with it)

    return aiohttp.ClientError

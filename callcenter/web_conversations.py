"""Web conversations on record: the browser's conversation token, its record, and how the record ends.

`/api/session` opens a record (`channel: web`) and hands the browser a token bound to it: a JWT
(HS256) with `sub` = the conversation id, `aud` = `callcenter-web-conversation`, `sid` = the
Realtime session id, and an `exp` as far off as the longest conversation allowed. The browser posts
its conversation's events with it, in numbered batches like the bridge does.

The signing key is 32 random bytes kept in Table Storage, created by the first instance that needs
it and shared by every instance (records need Table Storage anyway; no extra setting to deploy).

A conversation ends when the browser posts `ended`, or, if the tab closed without goodbye, when
its watch orchestration finds no batch for `IDLE_SECONDS` (the browser posts at least every
`HEARTBEAT_SECONDS`). Ending is idempotent: the record moves to `ended` under an ETag condition,
and the KPI counters count each conversation once.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from azure.core.exceptions import ResourceExistsError

from callcenter.calls import CallStatus, Direction, Outcome
from callcenter.config import Settings
from callcenter.errors import Forbidden, Unauthorized
from callcenter.pricing import estimate_call_cost
from callcenter.store import calls as store
from callcenter.store import live, stats
from callcenter.store.tables import CALLS, table

log = logging.getLogger("callcenter.web")

AUDIENCE = "callcenter-web-conversation"
KEYS = "callsecrets"
HEARTBEAT_SECONDS = 15
IDLE_SECONDS = 60
_keys: dict[str, bytes] = {}


async def signing_key(settings: Settings) -> bytes:
    """The shared key for conversation tokens (created once per storage account)."""
    account = settings.tables_connection or settings.tables_endpoint or ""
    if account in _keys:
        return _keys[account]
    async with table(settings, KEYS) as keys:
        fresh = base64.b64encode(secrets.token_bytes(32)).decode()
        with contextlib.suppress(ResourceExistsError):  # another instance made it first: use theirs
            await keys.create_entity({"PartitionKey": "keys", "RowKey": "web-conversations", "value": fresh})
        stored = await keys.get_entity("keys", "web-conversations")
    _keys[account] = base64.b64decode(stored["value"])
    return _keys[account]


async def mint_token(settings: Settings, conversation_id: str, session_id: str) -> tuple[str, int]:
    """A token for posting this conversation's events, and when it expires (epoch seconds)."""
    now = int(time.time())
    expires = now + settings.max_call_seconds + 2 * IDLE_SECONDS
    claims = {"sub": conversation_id, "aud": AUDIENCE, "sid": session_id, "iat": now, "exp": expires}
    return jwt.encode(claims, await signing_key(settings), algorithm="HS256"), expires


async def check_token(settings: Settings, authorization: str | None, conversation_id: str) -> None:
    """Raises Unauthorized for a missing, forged or expired token; Forbidden for another conversation's."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send the conversation token as 'Authorization: Bearer <token>'", code="token_required")
    try:
        claims = jwt.decode(token, await signing_key(settings), algorithms=["HS256"], audience=AUDIENCE)
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the conversation token has expired", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("the conversation token is not valid", code="token_invalid") from None
    if claims.get("sub") != conversation_id:
        raise Forbidden("the token belongs to another conversation", code="token_foreign")


async def open_record(settings: Settings, conversation_id: str, agent: str) -> store.CallRecord:
    """Create the conversation's record (connected at once: the browser is already talking)."""
    started = store.now_iso()
    record = store.CallRecord(
        call_id=conversation_id,
        direction=Direction.INBOUND,
        agent=agent,
        channel="web",
        status=CallStatus.CONNECTED,
        started_at=started,
        answered_at=started,
    )
    await store.claim_call(settings, record)
    await live.mark_live(settings, record)
    return record


def usage_totals(events: list[dict[str, Any]]) -> dict[str, int]:
    """Token usage summed over the `usage` events (each a `response.done` usage object)."""
    totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    for event in events:
        usage = event.get("usage") if event.get("type") == "usage" else None
        if isinstance(usage, dict):
            for key in totals:
                value = usage.get(key, 0)
                totals[key] += int(value) if isinstance(value, int | float) else 0
    return totals


async def finalize(settings: Settings, conversation_id: str, reason: str, ended_at: str) -> bool:
    """End the record once: outcome, duration, usage, cost, tool calls; counted in the KPIs.

    Returns False when it had ended already (a redelivered `ended`, or the idle watch and the
    browser racing).
    """
    from azure.core import MatchConditions
    from azure.core.exceptions import ResourceModifiedError
    from azure.data.tables import UpdateMode

    events = await store.call_events(settings, conversation_id)
    async with table(settings, CALLS) as calls:
        entity = await calls.get_entity(store.call_partition(conversation_id), conversation_id)
        record = store.CallRecord.from_entity(entity)
        if record.status == CallStatus.ENDED:
            await live.end_live(settings, conversation_id)
            return False
        usage = usage_totals(events)
        duration = _seconds_between(record.answered_at or record.started_at, ended_at)
        cost = estimate_call_cost(settings, 0.0, usage["input_tokens"], usage["output_tokens"])  # no phone minutes
        spoke = any(e.get("type") == "transcript" and e.get("role") == "caller" for e in events)
        changes: dict[str, Any] = {
            "status": CallStatus.ENDED,
            "outcome": Outcome.COMPLETED if spoke else Outcome.ABANDONED,
            "reason": reason,
            "ended_at": ended_at,
            "duration_s": round(duration, 1),
            "usage": usage,
            "tool_calls": sum(1 for e in events if e.get("type") == "tool_call"),
            "estimated_cost": round(cost, 4),
        }
        try:
            await calls.update_entity(
                {**store.CallRecord(**{**record.view(), **changes}).to_entity()},
                mode=UpdateMode.REPLACE,
                etag=entity.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError:
            return False  # ended (or changed) meanwhile: whoever changed it owns the ending
    await stats.count_ended(settings, [stats.ended_conversation({**record.view(), **changes}, events)])
    await live.end_live(settings, conversation_id)
    log.info("web conversation %s: ended %s (%s) after %.1f s", conversation_id, changes["outcome"], reason, duration)
    return True


async def end_if_idle(settings: Settings, conversation_id: str, now: datetime) -> datetime | None:
    """End the conversation if the browser went quiet; otherwise when to look again (None once ended)."""
    entry = await live.live_entry(settings, conversation_id)
    if entry is None:
        return None  # ended by the browser
    last = datetime.fromisoformat(entry["last_event_at"])
    quiet_until = last + timedelta(seconds=IDLE_SECONDS)
    if now < quiet_until:
        return quiet_until
    await finalize(settings, conversation_id, "idle_timeout", last.isoformat(timespec="milliseconds"))
    return None


def _seconds_between(start: str, end: str) -> float:
    try:
        return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())
    except ValueError:
        return 0.0


def utc_now() -> datetime:
    return datetime.now(UTC)

"""The live view: conversations under way (both channels), and one conversation's events as they arrive.

Polling with the per-call `seq` cursor, not streaming: on Flex Consumption an HTTP stream holds an
instance's connection (and bills) for as long as someone watches, Server-Sent Events through the
Static Web Apps proxy are cut at its request timeout, and the Python worker only streams through an
extra FastAPI extension. A poll is a short stateless read any instance can answer; polled every
second, a line shows within a second of reaching the function app (bench/live_view.py measures it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from callcenter.calls import CallStatus
from callcenter.config import get_settings
from callcenter.endpoints.guards import BROWSER
from callcenter.endpoints.http import json_response, query_int
from callcenter.endpoints.routing import endpoint, path_parameter, query_parameter
from callcenter.store import calls as store
from callcenter.store import live

bp = df.Blueprint()

CALL_PARAMETER = path_parameter("callId", "the call or web conversation id")
# What the live view shows of a conversation's events (not usage, heartbeats or media_ended).
SHOWN = {"transcript", "tool_call", "agent_changed", "barge_in", "dtmf", "supervisor"}


def _seconds_since(moment: str, now: datetime) -> float:
    try:
        return round(max(0.0, (now - datetime.fromisoformat(moment)).total_seconds()), 1)
    except ValueError:
        return 0.0


@endpoint(
    bp,
    "live",
    method="GET",
    summary="Conversations under way (phone and web): agent, duration, last lines",
    tag="operations",
    errors=(401, 403, 503),
    guard=BROWSER,  # call data is personal
)
async def list_live(req: func.HttpRequest) -> func.HttpResponse:
    now = datetime.now(UTC)
    entries = await live.list_live(get_settings())
    for entry in entries:
        entry["duration_s"] = _seconds_since(entry["started_at"], now)
    return json_response({"conversations": entries, "at": now.isoformat()})


def _unchanged(entry: dict[str, Any], after: int) -> dict[str, Any]:
    """The answer to a poll with nothing new, from the live index alone (`actions` null: unchanged)."""
    return {
        "call_id": entry["call_id"],
        "channel": entry["channel"],
        "agent": entry["agent"],
        "status": CallStatus.CONNECTED,
        "outcome": "",
        "started_at": entry["started_at"],
        "duration_s": _seconds_since(entry["started_at"], datetime.now(UTC)),
        "events": [],
        "next_after": after,
        "actions": None,
    }


@endpoint(
    bp,
    "live/{callId}",
    method="GET",
    summary="One conversation's events after a cursor (poll with the returned `next_after`)",
    tag="operations",
    parameters=(CALL_PARAMETER, query_parameter("after", "the last seq already shown (0 = all)", {"type": "integer"})),
    errors=(400, 401, 403, 404, 503),
    guard=BROWSER,  # call data is personal
)
async def follow_live(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    call_id = req.route_params["callId"]
    after = query_int(req, "after", 0, 0, 99_999_999)
    entry = await live.live_entry(settings, call_id)
    if entry is not None and 0 < entry["last_seq"] <= after:
        return json_response(_unchanged(entry, after))  # nothing new: no record or events read
    record = await store.get_call(settings, call_id)
    events = await store.call_events(settings, call_id)
    numbered = [e for e in events if isinstance(e.get("seq"), int)]
    fresh = [e for e in numbered if e["seq"] > after and e.get("type") in SHOWN]
    body: dict[str, Any] = {
        "call_id": call_id,
        "channel": record.channel,
        "agent": record.agent,
        "status": record.status,
        "outcome": record.outcome,
        "started_at": record.answered_at or record.started_at,
        "duration_s": _seconds_since(record.answered_at or record.started_at, datetime.now(UTC))
        if record.status != CallStatus.ENDED
        else record.duration_s,
        "events": fresh,
        "next_after": max([after, *(e["seq"] for e in numbered)]),
        "actions": [e for e in events if e.get("type") == "supervisor"],
    }
    return json_response(body)

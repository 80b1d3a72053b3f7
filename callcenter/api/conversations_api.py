"""`POST /api/conversations/{id}/events`: a web conversation's events, posted by the browser.

The same batch contract as the bridge's (docs/internal-api.md): `{"events": [...]}`, each event
numbered by `seq` in the conversation, so a retried batch stores each event once. Authorised by the
conversation token `/api/session` handed out (`Authorization: Bearer`), which names one
conversation. Event types: `transcript`, `tool_call`, `agent_changed` (a handoff), `usage` (from
`response.done`), `heartbeat`-only empty batches, and `ended` (the browser hung up).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from callcenter import web_conversations as web
from callcenter.calls import CallStatus
from callcenter.config import get_settings
from callcenter.endpoints.http import json_response, read_valid_json
from callcenter.endpoints.routing import endpoint, path_parameter
from callcenter.errors import NotFound
from callcenter.redaction import redact_event
from callcenter.store import calls as store
from callcenter.store import live

log = logging.getLogger("callcenter.web")
bp = df.Blueprint()

WEB_EVENTS = ("transcript", "tool_call", "agent_changed", "usage", "ended")
WEB_EVENTS_REQUEST = {
    "type": "object",
    "properties": {
        "events": {
            "type": "array",
            "maxItems": 200,
            "items": {
                "type": "object",
                "properties": {
                    "type": {"enum": list(WEB_EVENTS)},
                    "seq": {"type": "integer", "minimum": 1, "maximum": 99_999_999},
                    "role": {"enum": ["caller", "agent"]},
                    "text": {"type": "string", "maxLength": 4000},
                    "name": {"type": "string", "maxLength": 64},
                    "ok": {"type": "boolean"},
                    "agent": {"type": "string", "maxLength": 64},
                    "reason": {"type": "string", "maxLength": 64},
                    "usage": {"type": "object"},
                    "ts": {"type": "string", "maxLength": 40},
                },
                "required": ["type", "seq"],
            },
        }
    },
    "required": ["events"],
    "additionalProperties": False,
}


@endpoint(
    bp,
    "conversations/{conversationId}/events",
    method="POST",
    summary="A web conversation's batched events (browser, with its conversation token)",
    tag="realtime",
    request=WEB_EVENTS_REQUEST,
    status=202,
    parameters=(path_parameter("conversationId", "the id /api/session returned"),),
    errors=(400, 401, 403, 404, 413, 503),
)
async def post_conversation_events(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    conversation_id = req.route_params["conversationId"]
    await web.check_token(settings, req.headers.get("authorization"), conversation_id)
    events: list[dict[str, Any]] = read_valid_json(req, WEB_EVENTS_REQUEST)["events"]
    record = await store.get_call(settings, conversation_id)
    if record.channel != "web":
        raise NotFound(f"unknown web conversation '{conversation_id}'", code="unknown_conversation")
    # Rows are named by the event's own `ts` and `seq`: never stamped here, or a retried batch
    # would store its events twice.
    stamped = events
    batch_key = hashlib.sha256(req.get_body() or b"").hexdigest()[:12]
    stored = [redact_event(e) for e in stamped] if settings.redact_transcripts else stamped
    await store.append_events(settings, conversation_id, stored, batch_key)
    ended = record.status == CallStatus.ENDED
    end = next((e for e in events if e["type"] == "ended"), None)
    if not ended and end is None:
        await live.touch_live(settings, record, stored)
    elif end is not None:
        await web.finalize(settings, conversation_id, str(end.get("reason") or "browser_ended"), store.now_iso())
        ended = True
    return json_response({"stored": len(events), "ended": ended}, 202)

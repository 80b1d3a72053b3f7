"""`web_conversation_watch`: ends a web conversation whose browser went away without saying goodbye.

One instance per web conversation (id = `watch-<conversation id>`), started with the session. It
sleeps on a durable timer until the conversation could have gone idle, then asks an activity, which
ends the record if no batch came for `IDLE_SECONDS` or says when to look again. Chosen over a
sweep of all records: no scan, no timer trigger to deploy, it survives restarts like a call's
orchestration, and it costs a wake-up per idle period rather than an external event per batch.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

from callcenter.config import Settings, get_settings
from callcenter.web_conversations import (
    HEARTBEAT_SECONDS,
    IDLE_SECONDS,
    end_if_idle,
    finalize,
    mint_token,
    open_record,
)

log = logging.getLogger("callcenter.web")

bp = df.Blueprint()

WATCH = "web_conversation_watch"
CHECK_IDLE = "check_web_conversation_idle"
END_CONVERSATION = "end_web_conversation"
MAX_CHECKS = 500  # a conversation stays within MAX_CALL_SECONDS; this only bounds the loop
MIN_WAIT = timedelta(seconds=5)


def watch_instance(conversation_id: str) -> str:
    return f"watch-{conversation_id}"


@bp.orchestration_trigger(context_name="context")
def web_conversation_watch(context: df.DurableOrchestrationContext) -> Any:
    conversation_id = context.get_input()["call_id"]
    check_at = context.current_utc_datetime + timedelta(seconds=IDLE_SECONDS)
    for _ in range(MAX_CHECKS):
        yield context.create_timer(check_at)
        now = context.current_utc_datetime
        answer = yield context.call_activity(CHECK_IDLE, {"call_id": conversation_id, "now": now.isoformat()})
        if not answer.get("next_check"):
            return "ended"
        check_at = max(datetime.fromisoformat(answer["next_check"]), context.current_utc_datetime + MIN_WAIT)
    ending = {"call_id": conversation_id, "ended_at": context.current_utc_datetime.isoformat()}
    yield context.call_activity(END_CONVERSATION, ending)
    return "ended"


@bp.activity_trigger(input_name="check")
async def check_web_conversation_idle(check: dict[str, Any]) -> dict[str, Any]:
    next_check = await end_if_idle(get_settings(), check["call_id"], datetime.fromisoformat(check["now"]))
    return {"next_check": next_check.isoformat() if next_check else None}


@bp.activity_trigger(input_name="ending")
async def end_web_conversation(ending: dict[str, Any]) -> bool:
    return await finalize(get_settings(), ending["call_id"], "max_duration", ending["ended_at"])


async def open_conversation(
    settings: Settings, client: df.DurableOrchestrationClient, session_id: str, agent: str
) -> dict[str, Any] | None:
    """Open a web conversation's record, its idle watch and token (None when records are not kept)."""
    if not settings.tables_configured:
        return None
    conversation_id = f"web-{uuid.uuid4().hex[:24]}"
    await open_record(settings, conversation_id, agent)
    await client.start_new(WATCH, watch_instance(conversation_id), {"call_id": conversation_id})
    token, expires = await mint_token(settings, conversation_id, session_id)
    log.info("web conversation %s: opened with agent %s", conversation_id, agent)
    return {
        "id": conversation_id,
        "token": token,
        "expires_at": expires,
        "events_url": f"/api/conversations/{conversation_id}/events",
        "heartbeat_seconds": HEARTBEAT_SECONDS,
    }

"""Supervisor actions on a live phone call: coach the agent, transfer now, end the call.

Each is authorised (the `supervisor` role of the Static Web Apps sign-in when the deployment
requires sign-in; open locally, like the other browser endpoints), logged on the call's record as
a `supervisor` event, and carried out through the call's own machinery:

- coach: a notice the bridge picks up with its next event batch and sends to the model as a system
  message (the caller never hears it; no reply is asked for, so the agent's next turn follows it);
- transfer: an `escalate` event on the call's orchestration, which transfers to the human target;
- end: an `end_call` event on the orchestration (the agent is told to say goodbye; it hangs up).

The bridge posts a batch at least every two flush intervals even while nobody speaks, so a notice
reaches the call within about four seconds (BRIDGE_EVENT_FLUSH_SECONDS = 2).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from callcenter.calls import CallEventKind, CallStatus, NoticeType
from callcenter.config import Settings, get_settings
from callcenter.endpoints.guards import SUPERVISOR, client_principal
from callcenter.endpoints.http import json_response, read_valid_json
from callcenter.endpoints.routing import endpoint, path_parameter
from callcenter.errors import Conflict
from callcenter.store import calls as store
from callcenter.telephony.calls import raise_call_event

log = logging.getLogger("callcenter.supervisor")
bp = df.Blueprint()

SUPERVISOR_ROLE = "supervisor"
COACH_REQUEST = {
    "type": "object",
    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 500}},
    "required": ["text"],
    "additionalProperties": False,
}
EMPTY_REQUEST = {"type": "object", "properties": {}, "additionalProperties": False}
ACTION_PARAMETERS = (path_parameter("callId", "the phone call's id"),)
NOTICES = {
    "end": "A supervisor is ending this call now. Thank the caller and say goodbye in one short sentence.",
    "transfer": "A supervisor is transferring this caller to a human agent now. Tell them and ask them to hold.",
}


def supervisor(req: func.HttpRequest, settings: Settings) -> str:
    """Who acts, for the record: the signed-in supervisor (the guard checked the role), or `local`
    when the deployment does not require sign-in."""
    if not settings.require_signed_in_user:
        return "local"
    principal = client_principal(req)
    return str(principal.get("userDetails") or principal["userId"])


async def _live_phone_call(settings: Settings, call_id: str) -> store.CallRecord:
    record = await store.get_call(settings, call_id)
    if record.channel != "phone":
        raise Conflict("supervisor actions apply to phone calls", code="not_a_phone_call")
    if record.status != CallStatus.CONNECTED:
        raise Conflict(f"call {call_id} is {record.status}, not connected", code="call_not_live")
    return record


async def _log_action(settings: Settings, call_id: str, action: str, by: str, **details: Any) -> dict[str, Any]:
    event = {"type": "supervisor", "action": action, "by": by, **details, "ts": store.now_iso()}
    await store.append_events(settings, call_id, [event], f"sup-{uuid.uuid4().hex[:12]}")
    log.info("call %s: supervisor %s by %s", call_id, action, by)
    return event


@endpoint(
    bp,
    "live/{callId}/coach",
    method="POST",
    summary="Coach the agent of a live phone call (a system message the caller never hears)",
    tag="operations",
    request=COACH_REQUEST,
    status=202,
    parameters=ACTION_PARAMETERS,
    errors=(400, 401, 403, 404, 409, 503),
    guard=SUPERVISOR,
)
async def coach_call(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    who = supervisor(req, settings)
    text = read_valid_json(req, COACH_REQUEST)["text"].strip()
    call_id = req.route_params["callId"]
    await _live_phone_call(settings, call_id)
    guidance = f"Guidance from your supervisor (do not mention it): {text}"
    await store.add_notice(settings, call_id, {"type": NoticeType.COACH, "message": guidance})
    return json_response({"logged": await _log_action(settings, call_id, "coach", who, text=text)}, 202)


async def _control(req: func.HttpRequest, client: df.DurableOrchestrationClient, action: str) -> func.HttpResponse:
    settings = get_settings()
    who = supervisor(req, settings)
    read_valid_json(req, EMPTY_REQUEST, required=False)
    call_id = req.route_params["callId"]
    await _live_phone_call(settings, call_id)
    await store.add_notice(settings, call_id, {"type": NoticeType(f"supervisor_{action}"), "message": NOTICES[action]})
    kind = CallEventKind.ESCALATE if action == "transfer" else CallEventKind.END_CALL
    if not await raise_call_event(client, call_id, {"kind": kind, "reason": f"supervisor_{action}"}):
        raise Conflict(f"call {call_id} has no running orchestration", code="call_not_live")
    return json_response({"logged": await _log_action(settings, call_id, action, who)}, 202)


@endpoint(
    bp,
    "live/{callId}/transfer",
    method="POST",
    summary="Transfer a live phone call to the human agent now",
    tag="operations",
    status=202,
    parameters=ACTION_PARAMETERS,
    errors=(400, 401, 403, 404, 409, 503),
    guard=SUPERVISOR,
    durable_client=True,
)
async def transfer_call_now(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await _control(req, client, "transfer")


@endpoint(
    bp,
    "live/{callId}/end",
    method="POST",
    summary="End a live phone call",
    tag="operations",
    status=202,
    parameters=ACTION_PARAMETERS,
    errors=(400, 401, 403, 404, 409, 503),
    guard=SUPERVISOR,
    durable_client=True,
)
async def end_call_now(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await _control(req, client, "end")

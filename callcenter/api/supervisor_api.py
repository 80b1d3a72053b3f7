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

import base64
import binascii
import json
import logging
import uuid
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from callcenter.api.guards import check_origin
from callcenter.api.http import api_handler, json_response, read_valid_json
from callcenter.api.routing import endpoint, path_parameter
from callcenter.config import Settings, get_settings
from callcenter.errors import Conflict, Forbidden, Unauthorized
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
    """Who acts: the signed-in supervisor, or `local` when the deployment does not require sign-in.

    Raises:
        Unauthorized: sign-in required and missing or malformed.
        Forbidden: signed in without the supervisor role.
    """
    check_origin(req, settings.cors_allowed_origins)
    if not settings.require_signed_in_user:
        return "local"
    raw = req.headers.get("x-ms-client-principal")
    if not raw:
        raise Unauthorized("sign in as a supervisor", code="sign_in_required")
    try:
        principal = json.loads(base64.b64decode(raw, validate=True))
        user, roles = principal["userDetails"] or principal["userId"], principal.get("userRoles") or []
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise Unauthorized("malformed client principal", code="sign_in_required") from None
    if not isinstance(roles, list) or SUPERVISOR_ROLE not in roles:
        raise Forbidden("this action needs the supervisor role", code="supervisor_required")
    return str(user)


async def _live_phone_call(settings: Settings, call_id: str) -> store.CallRecord:
    record = await store.get_call(settings, call_id)
    if record.channel != "phone":
        raise Conflict("supervisor actions apply to phone calls", code="not_a_phone_call")
    if record.status != store.CallStatus.CONNECTED:
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
)
async def coach_call(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    who = supervisor(req, settings)
    text = read_valid_json(req, COACH_REQUEST)["text"].strip()
    call_id = req.route_params["callId"]
    await _live_phone_call(settings, call_id)
    guidance = f"Guidance from your supervisor (do not mention it): {text}"
    await store.add_notice(settings, call_id, {"type": "coach", "message": guidance})
    return json_response({"logged": await _log_action(settings, call_id, "coach", who, text=text)}, 202)


async def _control(req: func.HttpRequest, client: df.DurableOrchestrationClient, action: str) -> func.HttpResponse:
    settings = get_settings()
    who = supervisor(req, settings)
    read_valid_json(req, EMPTY_REQUEST, required=False)
    call_id = req.route_params["callId"]
    await _live_phone_call(settings, call_id)
    await store.add_notice(settings, call_id, {"type": f"supervisor_{action}", "message": NOTICES[action]})
    kind = "escalate" if action == "transfer" else "end_call"
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
)
@bp.durable_client_input(client_name="client")
@api_handler
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
)
@bp.durable_client_input(client_name="client")
@api_handler
async def end_call_now(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await _control(req, client, "end")

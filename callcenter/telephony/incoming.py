"""Inbound calls: the Event Grid trigger for `IncomingCall`, and the plain webhook at `/api/callbacks`.

The call is answered at once (the incoming call context expires in seconds) with bidirectional
media streaming to the bridge, then its `call_lifecycle` orchestration starts. A redelivered event
maps to the same call id, and claiming the call record is atomic, so a call is answered once.
"""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from azure.core.exceptions import HttpResponseError

from callcenter.calls import CallEventKind, Direction
from callcenter.config import get_settings
from callcenter.endpoints.http import json_response, read_json
from callcenter.endpoints.routing import endpoint
from callcenter.errors import InvalidInput
from callcenter.phone_numbers import mask_number
from callcenter.store import calls as store
from callcenter.telephony.acs_client import call_automation_client, media_streaming
from callcenter.telephony.calls import inbound_call_id, orchestration_input, raise_call_event
from callcenter.telephony.recordings import RECORDING_FILE, store_recording_file
from callcenter.telephony.tokens import callback_url

log = logging.getLogger("callcenter.telephony")
bp = df.Blueprint()

INCOMING_CALL = "Microsoft.Communication.IncomingCall"
VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent"


def _number(party: dict[str, Any]) -> str:
    phone = (party.get("phoneNumber") or {}).get("value")
    raw = str(party.get("rawId", ""))
    return str(phone) if phone else raw.removeprefix("4:")


async def answer_incoming(data: dict[str, Any], client: Any) -> str | None:
    """Answer one IncomingCall and start its orchestration; None when it was handled already."""
    settings = get_settings()
    acs = settings.require_acs()
    try:
        context, server_call_id = data["incomingCallContext"], data["serverCallId"]
        to_number, from_number = _number(data["to"]), _number(data["from"])
    except (KeyError, TypeError, AttributeError):
        raise InvalidInput("IncomingCall event is missing incomingCallContext, serverCallId, to or from") from None
    call_id = inbound_call_id(server_call_id)
    agent = settings.phone_agents.get(to_number, settings.default_agent)
    record = store.CallRecord(
        call_id=call_id,
        direction=Direction.INBOUND,
        agent=agent,
        from_number=from_number,
        to_number=to_number,
        started_at=store.now_iso(),
        server_call_id=server_call_id,
    )
    if not await store.claim_call(settings, record):
        log.info("call %s: IncomingCall redelivered, already handled", call_id)
        return None
    # The orchestration starts first, so no callback (CallConnected comes quickly) finds it missing.
    await client.start_new("call_lifecycle", call_id, orchestration_input(settings, record))
    try:
        async with call_automation_client(acs) as acs_client:
            properties = await acs_client.answer_call(
                context,
                callback_url(acs, call_id),
                media_streaming=media_streaming(acs, call_id),
                operation_context=call_id,
            )
    except HttpResponseError as exc:
        log.warning("call %s: answer failed (%s)", call_id, exc.status_code)
        await raise_call_event(
            client,
            call_id,
            {
                "kind": CallEventKind.ANSWER_FAILED,
                "time": store.now_iso(),
                "resultInformation": {"code": exc.status_code},
            },
        )
        return None
    await store.update_call(settings, call_id, call_connection_id=properties.call_connection_id)
    log.info("call %s: answered from %s for agent %s", call_id, mask_number(from_number), agent)
    return call_id


@bp.event_grid_trigger(arg_name="event")
@bp.durable_client_input(client_name="client")
async def incoming_call(event: func.EventGridEvent, client: df.DurableOrchestrationClient) -> None:
    if event.event_type == RECORDING_FILE:
        await store_recording_file(event.subject, event.get_json())
        return
    if event.event_type != INCOMING_CALL:
        log.info("ignoring Event Grid event %s", event.event_type)
        return
    await answer_incoming(event.get_json(), client)


@endpoint(
    bp,
    "callbacks",
    method="POST",
    summary="Event Grid webhook for IncomingCall (without the trigger)",
    tag="phone",
    request={"type": "array", "items": {"type": "object"}},
    auth=func.AuthLevel.FUNCTION,
    errors=(400, 401, 413, 503),
    durable_client=True,
)
async def event_grid_webhook(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    events = read_json(req)
    events = events if isinstance(events, list) else [events]
    answered = []
    for event in events:
        if not isinstance(event, dict):
            raise InvalidInput("each Event Grid event must be an object")
        kind = event.get("eventType") or event.get("type")
        if kind == VALIDATION:
            return json_response({"validationResponse": (event.get("data") or {}).get("validationCode")})
        if kind == RECORDING_FILE:
            await store_recording_file(str(event.get("subject", "")), event.get("data"))
        if kind == INCOMING_CALL:
            call_id = await answer_incoming(event.get("data") or {}, client)
            if call_id:
                answered.append(call_id)
    return json_response({"answered": answered})

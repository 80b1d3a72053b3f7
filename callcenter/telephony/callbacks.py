"""`POST /api/callbacks/{callId}`: ACS mid-call events, authenticated, de-duplicated, raised on the call.

Two checks guard every request: the per-call token in the URL (we issued it with the call) and
the JWT ACS signs each callback with (audience = the ACS resource id). Events are delivered at
least once, so each event id is recorded before it is raised.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import azure.durable_functions as df
import azure.functions as func

from callcenter.calls import ACS_EVENT_PREFIX, CallEvent, CallEventKind
from callcenter.config import get_settings
from callcenter.endpoints.http import json_response, read_json
from callcenter.endpoints.routing import endpoint, path_parameter
from callcenter.errors import InvalidInput
from callcenter.store import calls as store
from callcenter.telephony.callback_auth import verify_acs_request
from callcenter.telephony.calls import raise_call_event
from callcenter.telephony.tokens import CALLBACK_AUDIENCE, verify_token

log = logging.getLogger("callcenter.telephony")
bp = df.Blueprint()

KEPT_FIELDS = ("callConnectionId", "serverCallId", "correlationId", "operationContext", "resultInformation")


def to_call_event(cloud_event: Any) -> tuple[str, CallEvent | None]:
    """(event id, orchestration payload) of one ACS CloudEvent; no payload for a kind the call
    lifecycle does not know (acknowledged, not raised).

    The payload keeps the CloudEvent's `time`: the call record's answered and ended times are when
    ACS saw them happen, not when the callback was processed.

    Raises:
        InvalidInput: not a CloudEvent from Call Automation.
    """
    if not isinstance(cloud_event, dict):
        raise InvalidInput("each callback event must be an object")
    event_id, kind, data = cloud_event.get("id"), cloud_event.get("type"), cloud_event.get("data") or {}
    if not isinstance(event_id, str) or not isinstance(kind, str) or not kind.startswith(ACS_EVENT_PREFIX):
        raise InvalidInput("callback events must be Call Automation CloudEvents with id and type")
    if not isinstance(data, dict):
        raise InvalidInput("callback event data must be an object")
    known = CallEventKind.from_acs_type(kind)
    if known is None:
        return event_id, None
    payload: dict[str, Any] = {"kind": known, **{k: data[k] for k in KEPT_FIELDS if k in data}}
    if isinstance(cloud_event.get("time"), str):
        payload["time"] = cloud_event["time"]
    return event_id, cast(CallEvent, payload)


@endpoint(
    bp,
    "callbacks/{callId}",
    method="POST",
    summary="ACS Call Automation callbacks for one call",
    tag="phone",
    request={"type": "array", "items": {"type": "object"}},
    parameters=(path_parameter("callId", "the call id"),),
    errors=(400, 401, 413, 503),
    durable_client=True,
)
async def call_callback(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    settings = get_settings()
    acs = settings.require_acs()
    call_id = req.route_params["callId"]
    verify_token(acs, req.params.get("token"), call_id, CALLBACK_AUDIENCE)
    await verify_acs_request(acs, req.headers.get("authorization"), call_id)
    document = read_json(req)
    events = [to_call_event(e) for e in (document if isinstance(document, list) else [document])]
    raised = 0
    for event_id, payload in events:
        if payload is None:
            log.info("call %s: callback %s not used by the call lifecycle", call_id, event_id)
            continue
        if not await store.first_sighting(settings, call_id, event_id):
            log.info("call %s: duplicate callback %s ignored", call_id, payload["kind"])
            continue
        raised += await raise_call_event(client, call_id, payload)
        log.info("call %s: %s", call_id, payload["kind"])
    return json_response({"received": len(events), "raised": raised})

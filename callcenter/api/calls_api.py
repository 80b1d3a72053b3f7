"""Phone calls: `POST /api/call` (outbound), `GET /api/calls`, `GET /api/calls/{id}`."""

from __future__ import annotations

import logging
import uuid

import azure.durable_functions as df
import azure.functions as func

from callcenter.agents.profiles import get_profile
from callcenter.calls import Direction
from callcenter.config import get_settings
from callcenter.endpoints.guards import BROWSER, OUTBOUND_CALLS, BrowserGuard
from callcenter.endpoints.http import json_response, query_int, read_valid_json
from callcenter.endpoints.routing import endpoint, path_parameter, query_parameter
from callcenter.errors import InvalidInput
from callcenter.phone_numbers import mask_number, validate_e164
from callcenter.store import calls as store
from callcenter.telephony.calls import orchestration_input

log = logging.getLogger("callcenter.calls")
bp = df.Blueprint()

CALL_REQUEST = {
    "type": "object",
    "properties": {
        "number": {"type": "string", "description": "E.164, e.g. +14255550100"},
        "agent": {"type": "string", "maxLength": 64},
        "context": {
            "type": "object",
            "additionalProperties": {"type": "string", "maxLength": 500},
            "maxProperties": 20,
        },
    },
    "required": ["number"],
    "additionalProperties": False,
}
CALL_RESPONSE = {"type": "object", "properties": {"call_id": {"type": "string"}, "status_url": {"type": "string"}}}


@endpoint(
    bp,
    "call",
    method="POST",
    summary="Place an outbound call with an AI agent",
    tag="phone",
    request=CALL_REQUEST,
    response=CALL_RESPONSE,
    status=202,
    errors=(400, 401, 403, 404, 413, 422, 429, 503),
    guard=BrowserGuard(OUTBOUND_CALLS),  # placing calls costs money
    durable_client=True,
)
async def start_outbound_call(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    settings = get_settings()
    settings.require_acs()
    body = read_valid_json(req, CALL_REQUEST)
    number = validate_e164(body["number"])
    profile = get_profile(body.get("agent") or settings.default_agent)
    record = store.CallRecord(
        call_id=f"out-{uuid.uuid4().hex[:24]}",
        direction=Direction.OUTBOUND,
        agent=profile.name,
        from_number=settings.require_acs().phone_number,
        to_number=number,
        started_at=store.now_iso(),
        context=body.get("context") or {},
    )
    await store.claim_call(settings, record)
    await client.start_new("call_lifecycle", record.call_id, orchestration_input(settings, record))
    log.info("call %s: outbound to %s with agent %s", record.call_id, mask_number(number), profile.name)
    return json_response({"call_id": record.call_id, "status_url": f"/api/calls/{record.call_id}"}, 202)


@endpoint(
    bp,
    "calls",
    method="GET",
    summary="Call records, newest first",
    tag="phone",
    parameters=(
        query_parameter("direction", "inbound or outbound", {"enum": ["inbound", "outbound"]}),
        query_parameter("outcome", "completed, transferred, no_answer, ..."),
        query_parameter("from", "ISO date-time, inclusive"),
        query_parameter("to", "ISO date-time"),
        query_parameter("limit", "page size (1-100)", {"type": "integer"}),
        query_parameter("page_token", "from the previous page"),
    ),
    errors=(400, 401, 403, 503),
    guard=BROWSER,  # call records hold personal data
)
async def list_calls(req: func.HttpRequest) -> func.HttpResponse:
    direction = req.params.get("direction") or None
    if direction and direction not in {d.value for d in Direction}:
        raise InvalidInput("direction must be inbound or outbound")
    records, token = await store.list_calls(
        get_settings(),
        direction=direction,
        outcome=req.params.get("outcome") or None,
        since=req.params.get("from") or None,
        until=req.params.get("to") or None,
        limit=query_int(req, "limit", 50, 1, store.MAX_PAGE),
        page_token=req.params.get("page_token") or None,
    )
    return json_response({"calls": [r.view() for r in records], "next_page_token": token})


@endpoint(
    bp,
    "calls/{callId}",
    method="GET",
    summary="One call: record, transcript, tool calls, status",
    tag="phone",
    parameters=(path_parameter("callId", "the call id"),),
    errors=(401, 403, 404, 503),
    guard=BROWSER,
)
async def get_call(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    call_id = req.route_params["callId"]
    record = await store.get_call(settings, call_id)
    events = await store.call_events(settings, call_id)
    transcript = [
        {"role": e.get("role"), "text": e.get("text"), "ts": e.get("ts")}
        for e in events
        if e.get("type") == "transcript"
    ]
    tool_calls = [e for e in events if e.get("type") == "tool_call"]
    return json_response({"record": record.view(), "transcript": transcript, "tool_calls": tool_calls})

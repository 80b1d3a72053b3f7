"""The do-not-call list: add, look up, remove and list numbers. Campaigns check it before every dial."""

from __future__ import annotations

import logging

import azure.durable_functions as df
import azure.functions as func

from callcenter.config import get_settings
from callcenter.endpoints.guards import BROWSER
from callcenter.endpoints.http import json_response, optional_str, query_int, read_valid_json
from callcenter.endpoints.routing import endpoint, path_parameter, query_parameter
from callcenter.phone_numbers import mask_number, validate_e164
from callcenter.store import donotcall as store

log = logging.getLogger("callcenter.campaigns")
bp = df.Blueprint()

ADD_REQUEST = {
    "type": "object",
    "properties": {
        "number": {"type": "string", "description": "E.164, e.g. +14255550100"},
        "reason": {"type": "string", "maxLength": 300},
    },
    "required": ["number"],
    "additionalProperties": False,
}
ENTRY = {
    "type": "object",
    "properties": {
        "number": {"type": "string", "description": "the number asked about (absent in list pages)"},
        "number_masked": {"type": "string", "description": "the number with all but its ends hidden"},
        "added_at": {"type": "string"},
        "source": {"type": "string", "description": "api or call"},
        "reason": {"type": "string"},
        "call_id": {"type": "string"},
    },
}
NUMBER_PARAMETER = (path_parameter("number", "E.164 number (URL-encode the +)"),)


@endpoint(
    bp,
    "do-not-call",
    method="POST",
    summary="Put a number on the do-not-call list",
    tag="campaigns",
    request=ADD_REQUEST,
    response=ENTRY,
    status=201,
    errors=(400, 401, 403, 413, 422, 503),
    guard=BROWSER,
)
async def add_do_not_call(req: func.HttpRequest) -> func.HttpResponse:
    body = read_valid_json(req, ADD_REQUEST)
    number = validate_e164(body["number"])
    entry = await store.add_number(
        get_settings(), number, source="api", reason=optional_str(body, "reason", max_length=300) or ""
    )
    log.info("do-not-call: added %s", mask_number(number))
    return json_response(entry, 201)


@endpoint(
    bp,
    "do-not-call",
    method="GET",
    summary="The do-not-call list, a page at a time (numbers masked: rows are keyed by an HMAC)",
    tag="campaigns",
    parameters=(
        query_parameter("limit", "page size (1-500)", {"type": "integer"}),
        query_parameter("page_token", "from the previous page"),
    ),
    errors=(400, 401, 403, 503),
    guard=BROWSER,
)
async def list_do_not_call(req: func.HttpRequest) -> func.HttpResponse:
    numbers, token = await store.list_numbers(
        get_settings(), query_int(req, "limit", 100, 1, store.MAX_PAGE), req.params.get("page_token") or None
    )
    return json_response({"numbers": numbers, "next_page_token": token})


@endpoint(
    bp,
    "do-not-call/{number}",
    method="GET",
    summary="Whether a number is on the do-not-call list (404 when not)",
    tag="campaigns",
    parameters=NUMBER_PARAMETER,
    response=ENTRY,
    errors=(401, 403, 404, 422, 503),
    guard=BROWSER,
)
async def get_do_not_call(req: func.HttpRequest) -> func.HttpResponse:
    number = validate_e164(req.route_params["number"])
    return json_response(await store.get_number(get_settings(), number))


@endpoint(
    bp,
    "do-not-call/{number}",
    method="DELETE",
    summary="Take a number off the do-not-call list",
    tag="campaigns",
    parameters=NUMBER_PARAMETER,
    status=204,
    errors=(401, 403, 404, 422, 503),
    guard=BROWSER,
)
async def remove_do_not_call(req: func.HttpRequest) -> func.HttpResponse:
    number = validate_e164(req.route_params["number"])
    await store.remove_number(get_settings(), number)
    log.info("do-not-call: removed %s", mask_number(number))
    return func.HttpResponse(status_code=204)

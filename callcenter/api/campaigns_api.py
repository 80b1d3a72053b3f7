"""Outbound campaigns: create (JSON or CSV upload), list, progress, contacts, CSV export, pause/resume/cancel.

Progress and contacts are read from Table Storage (see store/campaigns.py), never by replaying the
campaign orchestration. Creating a campaign places calls, so it has the guards of `POST /api/call`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from callcenter.agents.profiles import get_profile
from callcenter.campaigns.contacts import MAX_CONTACTS, ContactList, parse_csv, parse_items
from callcenter.campaigns.model import SETTINGS_SCHEMA, parse_settings
from callcenter.campaigns.pacing import Bucket
from callcenter.config import get_settings
from callcenter.endpoints.guards import BROWSER, OUTBOUND_CALLS, BrowserGuard
from callcenter.endpoints.http import check_depth, json_response, query_int
from callcenter.endpoints.routing import endpoint, path_parameter, query_parameter
from callcenter.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from callcenter.json_schema import compile_schema
from callcenter.orchestrations.campaign import CAMPAIGN_ORCHESTRATOR, CONTROL_EVENT, start_input
from callcenter.store import campaigns as store

log = logging.getLogger("callcenter.campaigns")
bp = df.Blueprint()

# The front end refuses larger files too; 100,000 contacts in CSV take about 5 MB.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CAMPAIGN_PARAMETER = (path_parameter("campaignId", "the campaign id"),)
CREATE_REQUEST: dict[str, Any] = {
    **SETTINGS_SCHEMA,
    "properties": {
        **SETTINGS_SCHEMA["properties"],
        "contacts": {
            "type": "array",
            "maxItems": MAX_CONTACTS,
            "items": {"type": "object"},
            "description": "objects with phone (E.164), name, time_zone and variables",
        },
        "contacts_csv": {"type": "string", "description": "the contacts as CSV text instead"},
    },
}
CREATE_RESPONSE = {
    "type": "object",
    "properties": {
        "campaign": {"type": "object"},
        "accepted": {"type": "integer"},
        "rejected": {"type": "array", "items": {"type": "object"}},
        "rejected_total": {"type": "integer"},
    },
    "required": ["campaign", "accepted", "rejected"],
}
ACTIONS = {  # action -> (new status, statuses it may come from)
    "pause": ("paused", {"running"}),
    "resume": ("running", {"paused"}),
    "cancel": ("cancelled", {"running", "paused"}),
}


def _check_schema(body: dict[str, Any]) -> None:
    error = next(iter(compile_schema(CREATE_REQUEST).iter_errors(body)), None)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(body)"
        raise InvalidInput(f"{where}: {error.message}", code="invalid_campaign")


def _read_upload(req: func.HttpRequest) -> tuple[dict[str, Any], str | list[Any]]:
    """(settings, contacts) from a JSON body or a multipart form with `settings` and a `contacts` file."""
    declared = req.headers.get("content-length", "")
    body = req.get_body() or b""
    if (declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES) or len(body) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"a campaign upload is at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    content_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            return _read_form(req)
        finally:
            for part in req.files.values():  # werkzeug spools uploads to temporary files
                part.close()
    if content_type not in ("application/json", ""):
        raise UnsupportedMediaType(f"expected application/json or multipart/form-data, got {content_type}")
    try:
        document = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"request body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(document, dict):
        raise InvalidInput("request body must be a JSON object", code="invalid_json")
    check_depth(document)
    contacts = document.pop("contacts", None)
    csv_text = document.pop("contacts_csv", None)
    if contacts is None and csv_text is None:
        raise InvalidInput("send 'contacts' (a list) or 'contacts_csv' (CSV text)", code="invalid_contacts")
    if contacts is not None and not isinstance(contacts, list):
        raise InvalidInput("'contacts' must be a list", code="invalid_contacts")
    if csv_text is not None and not isinstance(csv_text, str):
        raise InvalidInput("'contacts_csv' must be CSV text", code="invalid_contacts")
    return document, contacts if contacts is not None else str(csv_text)


def _read_form(req: func.HttpRequest) -> tuple[dict[str, Any], str]:
    raw_settings = req.form.get("settings")
    upload = req.files.get("contacts")
    if raw_settings is None or upload is None:
        raise InvalidInput("send a 'settings' field (JSON) and a 'contacts' file (CSV)", code="invalid_campaign")
    try:
        settings = json.loads(raw_settings)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"'settings' is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(settings, dict):
        raise InvalidInput("'settings' must be a JSON object", code="invalid_json")
    try:
        return settings, upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the contacts file must be UTF-8 text", code="invalid_contacts") from None


@endpoint(
    bp,
    "campaigns",
    method="POST",
    summary="Create and start a campaign (JSON, or multipart with a contacts CSV and settings)",
    tag="campaigns",
    request=CREATE_REQUEST,
    response=CREATE_RESPONSE,
    status=201,
    errors=(400, 401, 403, 404, 413, 415, 429, 503),
    durable_client=True,
    guard=BrowserGuard(OUTBOUND_CALLS),
)
async def create_campaign(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    settings = get_settings()
    settings.require_acs()
    raw_settings, raw_contacts = _read_upload(req)
    _check_schema(raw_settings)
    campaign_settings = parse_settings(raw_settings)
    get_profile(campaign_settings.agent)
    found: ContactList = (
        parse_csv(raw_contacts, campaign_settings)
        if isinstance(raw_contacts, str)
        else parse_items(raw_contacts, campaign_settings)
    )
    if not found.contacts:
        first = found.rejected[0] if found.rejected else None
        detail = f"; line {first['line']}: {first['reason']}" if first else ""
        raise InvalidInput(f"no valid contacts{detail}", code="no_contacts")
    campaign_id = f"cmp-{uuid.uuid4().hex[:16]}"
    view = await store.create_campaign(
        settings, campaign_id, campaign_settings.to_json(), found.contacts, found.rejected_total
    )
    pacing = campaign_settings.pacing
    await client.start_new(
        CAMPAIGN_ORCHESTRATOR,
        campaign_id,
        start_input(
            campaign_id, pacing.max_concurrent, pacing.max_calls_per_minute, store.slice_count(len(found.contacts))
        ),
    )
    log.info("campaign %s: %d contacts accepted, %d rejected", campaign_id, len(found.contacts), found.rejected_total)
    body = {
        "campaign": view,
        "accepted": len(found.contacts),
        "rejected": found.rejected,
        "rejected_total": found.rejected_total,
    }
    return json_response(body, 201)


@endpoint(
    bp,
    "campaigns",
    method="GET",
    summary="Campaigns, newest first",
    tag="campaigns",
    errors=(401, 403, 503),
    guard=BROWSER,
)
async def list_campaigns(req: func.HttpRequest) -> func.HttpResponse:
    found = await store.list_campaigns(get_settings(), limit=query_int(req, "limit", 50, 1, 200))
    return json_response({"campaigns": found})


@endpoint(
    bp,
    "campaigns/{campaignId}",
    method="GET",
    summary="One campaign with its progress counters by outcome",
    tag="campaigns",
    parameters=CAMPAIGN_PARAMETER,
    errors=(401, 403, 404, 503),
    guard=BROWSER,
)
async def get_campaign(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"campaign": await store.get_campaign(get_settings(), req.route_params["campaignId"])})


@endpoint(
    bp,
    "campaigns/{campaignId}/contacts",
    method="GET",
    summary="A page of the campaign's contacts, optionally by outcome",
    tag="campaigns",
    parameters=(
        *CAMPAIGN_PARAMETER,
        query_parameter("outcome", "pending, in_progress, completed, no_answer, ...", {"enum": list(Bucket)}),
        query_parameter("limit", "page size (1-500)", {"type": "integer"}),
        query_parameter("page_token", "from the previous page"),
    ),
    errors=(400, 401, 403, 404, 503),
    guard=BROWSER,
)
async def list_contacts(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    campaign_id = req.route_params["campaignId"]
    outcome = req.params.get("outcome") or None
    if outcome is not None and outcome not in {b.value for b in Bucket}:
        raise InvalidInput(f"outcome must be one of {', '.join(b.value for b in Bucket)}")
    campaign = await store.get_campaign(settings, campaign_id)  # 404 for an unknown campaign
    contacts, token = await store.list_contacts(
        settings,
        campaign_id,
        campaign["total"],
        bucket=outcome,
        limit=query_int(req, "limit", 50, 1, store.MAX_PAGE),
        page_token=req.params.get("page_token") or None,
    )
    return json_response({"contacts": contacts, "next_page_token": token})


EXPORT_COLUMNS = ("line", "phone", "name", "time_zone", "outcome", "last_outcome", "attempts", "last_attempt_at")


@endpoint(
    bp,
    "campaigns/{campaignId}/export.csv",
    method="GET",
    summary="The campaign's results as CSV, one row per contact",
    tag="campaigns",
    parameters=CAMPAIGN_PARAMETER,
    errors=(401, 403, 404, 503),
    response_content_type="text/csv",
    guard=BROWSER,
)
async def export_campaign(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    campaign_id = req.route_params["campaignId"]
    campaign = await store.get_campaign(settings, campaign_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*EXPORT_COLUMNS, "call_ids", "variables"])
    async for contact in store.iter_contacts(settings, campaign_id, campaign["total"]):
        row = ["" if contact.get(c) is None else contact[c] for c in EXPORT_COLUMNS]
        writer.writerow([*row, " ".join(contact["call_ids"]), json.dumps(contact["variables"], ensure_ascii=False)])
    return func.HttpResponse(
        out.getvalue(),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{campaign_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


@endpoint(
    bp,
    "campaigns/{campaignId}/{action}",
    method="POST",
    summary="Pause, resume or cancel a campaign (cancel stops dialling; calls in progress finish)",
    tag="campaigns",
    parameters=(*CAMPAIGN_PARAMETER, path_parameter("action", "pause, resume or cancel")),
    errors=(401, 403, 404, 409, 503),
    durable_client=True,
    guard=BROWSER,
)
async def control_campaign(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    settings = get_settings()
    campaign_id, action = req.route_params["campaignId"], req.route_params["action"]
    if action not in ACTIONS:
        raise NotFound(f"unknown campaign action '{action}' (pause, resume or cancel)", code="unknown_action")
    to, allowed = ACTIONS[action]
    await store.change_status(settings, campaign_id, to, allowed)
    try:  # the stored status is what claims obey; the event only wakes the orchestration up
        await client.raise_event(campaign_id, CONTROL_EVENT, {"action": action})
    except Exception as exc:
        log.warning("campaign %s: could not raise %s (%s)", campaign_id, action, type(exc).__name__)
    log.info("campaign %s: %s", campaign_id, action)
    return json_response({"campaign": await store.get_campaign(settings, campaign_id)})

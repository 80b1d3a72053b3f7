"""Internal endpoints the bridge calls (function-key protected; contract in docs/internal-api.md)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from callcenter.agents.profiles import get_profile
from callcenter.agents.session import function_call_body, session_for_backend, tool_context
from callcenter.api import schemas
from callcenter.calls import CallEvent, CallEventKind, EventsResponse
from callcenter.calls.kinds import BRIDGE_CONTROL_KINDS
from callcenter.config import get_settings
from callcenter.endpoints.http import json_response, read_valid_json
from callcenter.endpoints.routing import endpoint, path_parameter
from callcenter.redaction import redact_event
from callcenter.store import calls as store
from callcenter.store.live import note_live_batch
from callcenter.telephony.calls import RECORDING_NOTICE, raise_call_event
from callcenter.tools.catalog import get_registry
from callcenter.tools.registry import Channel
from callcenter.tools.validation import parse_arguments

log = logging.getLogger("callcenter.internal")
bp = df.Blueprint()

CALL_PARAMETER = (path_parameter("callId", "the call id"),)
EVENTS_REQUEST = {
    "type": "object",
    "properties": {
        "events": {
            "type": "array",
            "maxItems": 500,
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "maxLength": 40},
                    "seq": {"type": "integer", "minimum": 0, "maximum": 99_999_999},
                },
                "required": ["type"],
            },
        }
    },
    "required": ["events"],
}


@endpoint(
    bp,
    "internal/calls/{callId}/agent",
    method="GET",
    summary="The call's agent configuration (bridge)",
    tag="internal",
    auth=func.AuthLevel.FUNCTION,
    parameters=CALL_PARAMETER,
    errors=(401, 404, 503),
)
async def call_agent(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    record = await store.get_call(settings, req.route_params["callId"])
    profile = get_profile(record.agent)
    session = session_for_backend(profile, profile.backend, get_registry(), Channel.PHONE, context=record.context)
    # The consent notice opens the conversation, in the agent's own voice, before recording starts.
    greeting = f"{RECORDING_NOTICE} {profile.greeting}" if settings.recording_enabled else profile.greeting
    return json_response(
        {
            "call_id": record.call_id,
            "agent": profile.name,
            "backend": profile.backend,
            # Voice Live takes the model on the URL; Realtime's bridge setting names its deployment.
            "model": profile.voice_live.model if profile.backend == "voice-live" else None,
            "session": session,
            "greeting": greeting,
            "max_call_seconds": settings.max_call_seconds,
        }
    )


@endpoint(
    bp,
    "internal/web-sessions/{sessionId}/agents/{agent}",
    method="GET",
    summary="A browser Voice Live session's agent configuration (bridge)",
    tag="internal",
    auth=func.AuthLevel.FUNCTION,
    parameters=(
        path_parameter("sessionId", "the web session id /api/session granted"),
        path_parameter("agent", "the agent the session's token names"),
    ),
    errors=(401, 404, 503),
)
async def web_session_agent(req: func.HttpRequest) -> func.HttpResponse:
    # The bridge verified the browser's token (session and agent) before asking; the session id is
    # only logged. The greeting is left to the browser, which asks for it as on the WebRTC path.
    profile = get_profile(req.route_params["agent"])
    log.info("web session %s: Voice Live configuration for agent %s", req.route_params["sessionId"], profile.name)
    return json_response(
        {
            "call_id": req.route_params["sessionId"],
            "agent": profile.name,
            "backend": profile.backend,
            "model": profile.voice_live.model if profile.backend == "voice-live" else None,
            "session": session_for_backend(profile, profile.backend, get_registry(), Channel.WEB),
            "greeting": "",
            "max_call_seconds": get_settings().max_call_seconds,
        }
    )


@endpoint(
    bp,
    "internal/calls/{callId}/function-call",
    method="POST",
    summary="Run a tool for a phone call (bridge)",
    tag="internal",
    auth=func.AuthLevel.FUNCTION,
    request=schemas.FUNCTION_CALL_REQUEST,
    response=schemas.FUNCTION_CALL_RESPONSE,
    parameters=CALL_PARAMETER,
    errors=(400, 401, 404, 413, 422),
    durable_client=True,
)
async def call_function(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    settings = get_settings()
    call_id = req.route_params["callId"]
    body = read_valid_json(req, schemas.FUNCTION_CALL_REQUEST)
    record = await store.get_call(settings, call_id)
    context = tool_context(get_profile(record.agent), Channel.PHONE, call_id=call_id, variables=record.context)
    result = await get_registry().execute(body["name"], body.get("arguments"), context)
    if result.control is not None:
        details = parse_arguments(body.get("arguments"))  # already validated by execute()
        event: CallEvent = {"kind": result.control, "time": store.now_iso()}
        for name in ("reason", "summary"):
            if isinstance(details.get(name), str):
                event[name] = details[name]
        await raise_call_event(client, call_id, event)
    if result.handoff_agent:
        await store.update_call(settings, call_id, agent=result.handoff_agent)
        log.info("call %s: handed over from %s to %s", call_id, record.agent, result.handoff_agent)
    backend = str(body.get("backend") or "realtime")  # the backend the call is connected to
    return json_response(
        function_call_body(result, body.get("call_id"), Channel.PHONE, get_registry(), record.context, backend=backend)
    )


@endpoint(
    bp,
    "internal/calls/{callId}/events",
    method="POST",
    summary="The bridge's batched call events",
    tag="internal",
    auth=func.AuthLevel.FUNCTION,
    request=EVENTS_REQUEST,
    status=202,
    parameters=CALL_PARAMETER,
    errors=(400, 401, 404, 413),
    durable_client=True,
)
async def call_events(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    settings = get_settings()
    call_id = req.route_params["callId"]
    raw = req.get_body() or b""
    events: list[dict[str, Any]] = read_valid_json(req, EVENTS_REQUEST)["events"]
    record = await store.get_call(settings, call_id)  # 404 for an unknown call
    batch_key = hashlib.sha256(raw).hexdigest()[:12]  # a retried batch overwrites itself
    stored = [redact_event(e) for e in events] if settings.redact_transcripts else events
    await store.append_events(settings, call_id, stored, batch_key)
    await note_live_batch(settings, record, stored)
    for event in events:
        control = bridge_control_event(event)
        if control is not None:
            await raise_call_event(client, call_id, control)
    response: EventsResponse = {"stored": len(events), "notices": await store.take_notices(settings, call_id)}
    return json_response(response, 202)


def bridge_control_event(event: dict[str, Any]) -> CallEvent | None:
    """The orchestration event of a bridge event that changes the call's course (`media_ended`,
    `model_failed`), carrying the bridge's own timestamp; None for the others."""
    try:
        kind = CallEventKind(event["type"])
    except ValueError:
        return None
    if kind not in BRIDGE_CONTROL_KINDS:
        return None
    control: CallEvent = {"kind": kind, "reason": str(event.get("reason") or "")}
    if isinstance(event.get("ts"), str):
        control["time"] = event["ts"]
    return control

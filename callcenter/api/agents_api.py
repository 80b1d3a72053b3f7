"""Agent profiles and the tools they use: `GET /api/agents`, `GET /api/tools`, `POST /api/function-call`."""

from __future__ import annotations

import json

import azure.durable_functions as df
import azure.functions as func

from callcenter.agents.profiles import get_profile, list_profiles
from callcenter.agents.session import session_for_backend
from callcenter.api import schemas
from callcenter.api.guards import RateLimiter, check_origin, client_key, signed_in_user
from callcenter.api.http import json_response, read_valid_json
from callcenter.api.routing import endpoint, query_parameter
from callcenter.config import get_settings
from callcenter.errors import InvalidInput, NotFound
from callcenter.tools.catalog import get_registry
from callcenter.tools.registry import Channel, ToolContext, ToolResult

bp = df.Blueprint()
tool_limiter = RateLimiter()
TOOL_CALLS_PER_MINUTE = 300  # per client and instance; a lively conversation makes a few a minute


def parse_channel(value: str | None) -> Channel:
    try:
        return Channel(value or Channel.WEB)
    except ValueError:
        raise InvalidInput("channel must be 'web' or 'phone'") from None


@endpoint(bp, "agents", method="GET", summary="List agent profiles", tag="agents", response=schemas.AGENTS_RESPONSE)
async def list_agents(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    bridge = settings.acs is not None  # the bridge relays Voice Live web sessions (session_api.py)
    agents = [p.summary(web_bridge=bridge) for p in list_profiles()]
    return json_response({"agents": agents, "default": settings.default_agent})


@endpoint(
    bp,
    "tools",
    method="GET",
    summary="Tool definitions (Realtime function format) for a channel and optionally one agent",
    tag="tools",
    response=schemas.TOOLS_RESPONSE,
    parameters=(
        query_parameter("channel", "web (default) or phone", {"enum": ["web", "phone"]}),
        query_parameter("agent", "only the tools of this agent profile"),
    ),
    errors=(400, 404),
)
async def list_tools(req: func.HttpRequest) -> func.HttpResponse:
    channel = parse_channel(req.params.get("channel"))
    registry = get_registry()
    agent = req.params.get("agent")
    names = registry.names_for_agent(agent, get_profile(agent).tools) if agent else None
    return json_response({"tools": registry.definitions(channel, names), "tool_choice": "auto"})


def function_call_body(
    result: ToolResult, call_id: str | None, channel: Channel, *, backend: str = "realtime"
) -> dict[str, object]:
    """The response to a tool call, shared by the web endpoint and the bridge's internal one.

    A handoff's session is rendered for `backend`, the one the conversation is connected to: the
    call stays there (see docs/voice-live.md, "Handoff between backends").
    """
    body: dict[str, object] = {"call_id": call_id, "output": json.dumps(result.output), "ok": result.ok}
    if result.control:
        body["control"] = result.control.value
    if result.handoff_agent:
        profile = get_profile(result.handoff_agent)
        body["agent"] = profile.name
        body["session"] = session_for_backend(profile, backend, get_registry(), channel, include_voice=False)
    return body


@endpoint(
    bp,
    "function-call",
    method="POST",
    summary="Execute a tool the model called during a web conversation",
    tag="tools",
    request=schemas.FUNCTION_CALL_REQUEST,
    response=schemas.FUNCTION_CALL_RESPONSE,
    errors=(400, 401, 403, 404, 413, 422, 429),
)
async def function_call(req: func.HttpRequest) -> func.HttpResponse:
    # Tools reach business data and services: the browser guards of /api/session apply, with a
    # limit sized for a conversation's tool calls rather than for new sessions.
    settings = get_settings()
    check_origin(req, settings.cors_allowed_origins)
    who = signed_in_user(req) if settings.require_signed_in_user else client_key(req)
    tool_limiter.check(who, TOOL_CALLS_PER_MINUTE)
    body = read_valid_json(req, schemas.FUNCTION_CALL_REQUEST)
    registry = get_registry()
    agent_name = body.get("agent") or get_settings().default_agent
    profile = get_profile(agent_name)
    if "agent" in body and body["name"] not in registry.names_for_agent(profile.name, profile.tools):
        raise NotFound(f"agent '{profile.name}' has no tool '{body['name']}'", code="unknown_tool")
    context = ToolContext(channel=Channel.WEB, agent=profile.name)
    result = await registry.execute(body["name"], body.get("arguments"), context)
    # A Voice Live web session (through the bridge) takes a handoff in Voice Live's dialect.
    backend = str(body.get("backend") or "realtime")
    return json_response(function_call_body(result, body.get("call_id"), Channel.WEB, backend=backend))

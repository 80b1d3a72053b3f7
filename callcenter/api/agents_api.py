"""Agent profiles and the tools they use: `GET /api/agents`, `GET /api/tools`, `POST /api/function-call`."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from callcenter.agents.profiles import get_profile, list_profiles
from callcenter.agents.session import function_call_body, tool_context
from callcenter.api import schemas
from callcenter.config import get_settings
from callcenter.endpoints.guards import TOOL_CALLS, BrowserGuard
from callcenter.endpoints.http import json_response, read_valid_json
from callcenter.endpoints.routing import endpoint, query_parameter
from callcenter.errors import InvalidInput, NotFound
from callcenter.tools.catalog import get_registry
from callcenter.tools.registry import Channel

bp = df.Blueprint()


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


@endpoint(
    bp,
    "function-call",
    method="POST",
    summary="Execute a tool the model called during a web conversation",
    tag="tools",
    request=schemas.FUNCTION_CALL_REQUEST,
    response=schemas.FUNCTION_CALL_RESPONSE,
    errors=(400, 401, 403, 404, 413, 422, 429),
    # Tools reach business data and services: the browser guards of /api/session apply, with a
    # limit sized for a conversation's tool calls rather than for new sessions.
    guard=BrowserGuard(TOOL_CALLS),
)
async def function_call(req: func.HttpRequest) -> func.HttpResponse:
    body = read_valid_json(req, schemas.FUNCTION_CALL_REQUEST)
    registry = get_registry()
    agent_name = body.get("agent") or get_settings().default_agent
    profile = get_profile(agent_name)
    if "agent" in body and body["name"] not in registry.names_for_agent(profile.name, profile.tools):
        raise NotFound(f"agent '{profile.name}' has no tool '{body['name']}'", code="unknown_tool")
    context = tool_context(profile, Channel.WEB)
    result = await registry.execute(body["name"], body.get("arguments"), context)
    # A Voice Live web session (through the bridge) takes a handoff in Voice Live's dialect.
    backend = str(body.get("backend") or "realtime")
    return json_response(function_call_body(result, body.get("call_id"), Channel.WEB, registry, backend=backend))

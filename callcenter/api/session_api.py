"""`POST /api/session`: mint a short-lived Realtime key for one web conversation.

Each session costs money, so the endpoint checks the Origin, rate-limits per client and can
require a Static Web Apps sign-in. The long-lived key never leaves the server. Web sessions are
always Realtime sessions, whatever the agent's phone backend (docs/voice-live.md).
"""

from __future__ import annotations

import time
import uuid

import azure.durable_functions as df
import azure.functions as func

from callcenter.agents.profiles import get_profile
from callcenter.agents.session import realtime_session
from callcenter.api import schemas
from callcenter.config import get_settings
from callcenter.endpoints.guards import SESSIONS, BrowserGuard
from callcenter.endpoints.http import json_response, read_valid_json
from callcenter.endpoints.routing import endpoint
from callcenter.openai_client import calls_url, mint_client_secret
from callcenter.orchestrations.web_conversation import open_conversation
from callcenter.tools.catalog import get_registry
from callcenter.tools.registry import Channel

bp = df.Blueprint()


@endpoint(
    bp,
    "session",
    method="POST",
    summary="Start a web voice session: returns an ephemeral key and the WebRTC URL",
    tag="realtime",
    request=schemas.SESSION_REQUEST,
    response=schemas.SESSION_RESPONSE,
    errors=(400, 401, 403, 404, 413, 429, 502, 503),
    guard=BrowserGuard(SESSIONS),
    durable_client=True,
)
async def create_session(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    settings = get_settings()
    realtime = settings.require_realtime()
    body = read_valid_json(req, schemas.SESSION_REQUEST, required=False)
    profile = get_profile(body.get("agent") or settings.default_agent)
    session = realtime_session(profile, get_registry(), Channel.WEB, deployment=realtime.deployment)
    secret = await mint_client_secret(realtime, session)
    expires_at = secret["expires_at"]
    session_id = str(secret["session"].get("id") or f"sess_{uuid.uuid4().hex}")
    conversation = await open_conversation(settings, client, session_id, profile.name)
    return json_response(
        {
            "session_id": session_id,
            "ephemeral_key": secret["value"],
            "expires_at": int(expires_at) if isinstance(expires_at, int | float) else int(time.time()) + 60,
            "realtime_url": calls_url(realtime),
            "deployment": realtime.deployment,
            "voice": profile.voice,
            "agent": profile.name,
            # Web sessions run on Realtime WebRTC for every agent: Voice Live offers no credential a
            # browser may hold (docs/voice-live.md), so a Voice Live agent speaks here with its
            # instructions and tools but its OpenAI voice.
            "backend": "realtime",
            **({"conversation": conversation} if conversation else {}),
        }
    )

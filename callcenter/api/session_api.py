"""`POST /api/session`: grant one web conversation, on the agent's speech backend.

Each session costs money, so the endpoint checks the Origin, rate-limits per client and can
require a Static Web Apps sign-in. The long-lived key never leaves the server. A Realtime agent's
grant is a short-lived Realtime key for WebRTC; a Voice Live agent's is a two-minute, single-use
token for the bridge's browser endpoint, which holds the Voice Live session (docs/voice-live.md, "Web").
A deployment without the bridge (no ACS settings) serves every agent's web sessions on Realtime.
"""

from __future__ import annotations

import time
import uuid

import azure.durable_functions as df
import azure.functions as func

from callcenter.agents.profiles import AgentProfile, get_profile
from callcenter.agents.session import realtime_session
from callcenter.api import schemas
from callcenter.config import AcsSettings, Settings, get_settings
from callcenter.endpoints.guards import SESSIONS, BrowserGuard
from callcenter.endpoints.http import json_response, read_valid_json
from callcenter.endpoints.routing import endpoint
from callcenter.openai_client import calls_url, mint_client_secret
from callcenter.orchestrations.web_conversation import open_conversation
from callcenter.telephony.tokens import issue_web_session_token
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
    body = read_valid_json(req, schemas.SESSION_REQUEST, required=False)
    profile = get_profile(body.get("agent") or settings.default_agent)
    if profile.backend == "voice-live" and settings.acs is not None:
        # The bridge (public URL, shared secret) relays Voice Live; without one, Realtime WebRTC serves.
        return await _voice_live_grant(settings, settings.acs, client, profile)
    realtime = settings.require_realtime()
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
            "backend": "realtime",
            **({"conversation": conversation} if conversation else {}),
        }
    )


async def _voice_live_grant(
    settings: Settings, acs: AcsSettings, client: df.DurableOrchestrationClient, profile: AgentProfile
) -> func.HttpResponse:
    """A Voice Live agent's grant: the bridge's browser endpoint and a token for it, never a key.

    Voice Live offers no credential a browser may hold, so the bridge relays the session with its
    managed identity (bridge/web_relay.py).
    """
    session_id = f"web_{uuid.uuid4().hex}"
    token, expires_at = issue_web_session_token(acs, session_id, profile.name)
    conversation = await open_conversation(settings, client, session_id, profile.name)
    return json_response(
        {
            "session_id": session_id,
            "backend": "voice-live",
            "bridge_url": f"{acs.bridge_public_url}/web/realtime",
            "bridge_token": token,
            "expires_at": expires_at,
            "voice": profile.voice_live.voice,
            "model": profile.voice_live.model,
            "agent": profile.name,
            **({"conversation": conversation} if conversation else {}),
        }
    )

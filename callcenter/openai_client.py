"""Calls to Azure OpenAI from the function app: Realtime client secrets and chat completions.

The long-lived key (or Entra token) stays here; errors are re-raised as `UpstreamError` with a
message that names the status but never echoes the request's headers or the upstream body.
"""

from __future__ import annotations

import logging
from typing import Any

from callcenter.config import RealtimeSettings
from callcenter.errors import UpstreamError
from callcenter.identity import bearer_token
from callcenter.pooled import http_client

log = logging.getLogger("callcenter.openai")

TIMEOUT_SECONDS = 15.0
CONNECT_TIMEOUT_SECONDS = 5.0


async def auth_headers(realtime: RealtimeSettings) -> dict[str, str]:
    if realtime.api_key:
        return {"api-key": realtime.api_key}
    try:
        return {"Authorization": f"Bearer {await bearer_token()}"}
    except Exception as exc:
        log.warning("could not get an Entra token for Azure OpenAI: %s", type(exc).__name__)
        raise UpstreamError("could not authenticate to Azure OpenAI", code="upstream_auth") from None


def calls_url(realtime: RealtimeSettings) -> str:
    """Where a browser posts its WebRTC SDP offer (GA Realtime API)."""
    return f"{realtime.endpoint}/openai/v1/realtime/calls"


async def _post(realtime: RealtimeSettings, path: str, payload: dict[str, Any], what: str) -> dict[str, Any]:
    url = f"{realtime.endpoint}{path}"
    headers = await auth_headers(realtime)
    import httpx  # lazily: only sessions and summaries need it, and it is slow to import

    client = await http_client()
    try:
        timeout = httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        response = await client.post(url, json=payload, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        log.warning("%s: Azure OpenAI unreachable (%s)", what, type(exc).__name__)
        raise UpstreamError("Azure OpenAI could not be reached", code="upstream_unreachable") from None
    if response.status_code in (401, 403):
        log.warning("%s: Azure OpenAI refused the credentials (%s)", what, response.status_code)
        raise UpstreamError("Azure OpenAI refused the service's credentials", code="upstream_auth")
    if response.status_code == 429:
        raise UpstreamError("Azure OpenAI is rate limiting; try again shortly", code="upstream_rate_limited")
    if response.is_error:
        log.warning("%s: Azure OpenAI answered %s", what, response.status_code)
        raise UpstreamError(f"Azure OpenAI answered {response.status_code}", code="upstream_error")
    try:
        body = response.json()
    except ValueError:
        raise UpstreamError("Azure OpenAI answered with something that is not JSON") from None
    if not isinstance(body, dict):
        raise UpstreamError("Azure OpenAI answered with an unexpected document")
    return body


async def mint_client_secret(realtime: RealtimeSettings, session: dict[str, Any]) -> dict[str, Any]:
    """A short-lived client secret bound to `session` (GA `POST /openai/v1/realtime/client_secrets`).

    Returns `{"value", "expires_at", "session"}` as the service does.
    """
    payload = {
        "expires_after": {"anchor": "created_at", "seconds": realtime.session_ttl_seconds},
        "session": session,
    }
    body = await _post(realtime, "/openai/v1/realtime/client_secrets", payload, "client secret")
    value = body.get("value") or (body.get("client_secret") or {}).get("value")
    if not isinstance(value, str) or not value:
        raise UpstreamError("Azure OpenAI returned no client secret")
    return {"value": value, "expires_at": body.get("expires_at"), "session": body.get("session") or {}}


async def chat_completion(
    realtime: RealtimeSettings, deployment: str, messages: list[dict[str, str]], max_tokens: int = 400
) -> str:
    """The text of one chat completion (used for post-call summaries)."""
    payload = {"model": deployment, "messages": messages, "max_tokens": max_tokens, "temperature": 0}
    body = await _post(realtime, "/openai/v1/chat/completions", payload, "chat completion")
    try:
        return str(body["choices"][0]["message"]["content"])
    except (KeyError, IndexError, TypeError):
        raise UpstreamError("Azure OpenAI returned no completion") from None

"""The one place the bridge reads its environment.

Settings are parsed once at start-up into a frozen `BridgeSettings`; a bad value stops the process
with a message naming the variable (never its value, which may be a secret).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

# The GA version the Voice Live how-to names for `/voice-live/realtime` (docs/voice-live.md).
VOICE_LIVE_API_VERSION = "2026-04-10"

ACS_OPENID_CONFIG_URL = "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class BridgeSettings:
    """Everything the bridge is configured with. See bridge/README.md for the table."""

    host: str = "127.0.0.1"
    port: int = 8765
    call_token_secret: str = ""
    function_app_url: str = ""
    function_app_key: str = ""
    openai_endpoint: str = ""
    # Empty: authenticate to Azure OpenAI with an Entra ID token (managed identity).
    openai_api_key: str = ""
    realtime_deployment: str = "gpt-realtime"
    # Azure AI Voice Live (agents whose backend is `voice-live`); empty endpoint = not configured.
    voice_live_endpoint: str = ""
    voice_live_api_key: str = ""  # empty: Entra ID token (managed identity), like Azure OpenAI
    voice_live_api_version: str = VOICE_LIVE_API_VERSION
    max_calls: int = 200
    max_call_seconds: float = 1800.0
    idle_timeout_seconds: float = 30.0
    tool_timeout_seconds: float = 8.0
    drain_seconds: float = 60.0
    event_flush_seconds: float = 2.0
    log_level: str = "INFO"
    # Application Insights (OpenTelemetry export); empty = no telemetry leaves the process.
    appinsights_connection_string: str = ""
    appinsights_authentication: str = ""  # "Authorization=AAD;ClientId=...": Entra ID for ingestion
    # ACS's media handshake JWT (bridge/acs_auth.py): audience = the ACS resource's immutable id; empty = off.
    acs_resource_id: str = ""
    acs_openid_config_url: str = ACS_OPENID_CONFIG_URL
    # Browser Voice Live sessions (`/web/realtime`): allowed page origins (empty = the endpoint is off)
    # and new sessions per client per minute.
    web_allowed_origins: tuple[str, ...] = ()
    web_sessions_per_minute: int = 10
    # "uvloop" (used when installed; less CPU and a shorter latency tail at 100+ calls) or "asyncio".
    event_loop: str = "uvloop"

    @property
    def realtime_url(self) -> str:
        """The GA Realtime WebSocket URL: https endpoint turned into wss, deployment as `model`."""
        base = self.openai_endpoint.rstrip("/")
        if base.startswith("https://"):
            base = "wss://" + base.removeprefix("https://")
        elif base.startswith("http://"):
            base = "ws://" + base.removeprefix("http://")
        return f"{base}/openai/v1/realtime?model={self.realtime_deployment}"

    def voice_live_url(self, model: str) -> str:
        """`wss://<resource>.services.ai.azure.com/voice-live/realtime?api-version=...&model=...`."""
        base = self.voice_live_endpoint.rstrip("/")
        if base.startswith("https://"):
            base = "wss://" + base.removeprefix("https://")
        elif base.startswith("http://"):
            base = "ws://" + base.removeprefix("http://")
        query = urlencode({"api-version": self.voice_live_api_version, "model": model})
        return f"{base}/voice-live/realtime?{query}"


_REQUIRED = ("CALL_TOKEN_SECRET", "FUNCTION_APP_URL", "AZURE_OPENAI_ENDPOINT")


def load_settings(env: Mapping[str, str] | None = None) -> BridgeSettings:
    """Parse settings from `env` (default: the process environment).

    Raises:
        SettingsError: a required setting is missing or a value does not parse.
    """
    env = os.environ if env is None else env
    missing = [name for name in _REQUIRED if not env.get(name, "").strip()]
    if missing:
        raise SettingsError(f"missing required settings: {', '.join(missing)}")
    if len(env["CALL_TOKEN_SECRET"]) < 32:
        raise SettingsError("CALL_TOKEN_SECRET must be at least 32 characters (HS256 key)")
    openid_url = env.get("ACS_OPENID_CONFIG_URL", "").strip() or ACS_OPENID_CONFIG_URL
    urls = {"FUNCTION_APP_URL": env["FUNCTION_APP_URL"], "AZURE_OPENAI_ENDPOINT": env["AZURE_OPENAI_ENDPOINT"]}
    if env.get("VOICE_LIVE_ENDPOINT", "").strip():  # optional: only Voice Live agents need it
        urls["VOICE_LIVE_ENDPOINT"] = env["VOICE_LIVE_ENDPOINT"]
    for name, value in {**urls, "ACS_OPENID_CONFIG_URL": openid_url}.items():
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(f"{name} must be an http(s) URL")
    log_level = env.get("BRIDGE_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("BRIDGE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    event_loop = env.get("BRIDGE_EVENT_LOOP", "uvloop").strip().lower() or "uvloop"
    if event_loop not in ("uvloop", "asyncio"):
        raise SettingsError("BRIDGE_EVENT_LOOP must be uvloop or asyncio")
    return BridgeSettings(
        host=env.get("BRIDGE_HOST", "127.0.0.1").strip() or "127.0.0.1",
        port=_int(env, "BRIDGE_PORT", 8765, low=0, high=65535),
        call_token_secret=env["CALL_TOKEN_SECRET"],
        function_app_url=env["FUNCTION_APP_URL"].strip().rstrip("/"),
        function_app_key=env.get("FUNCTION_APP_KEY", ""),
        openai_endpoint=env["AZURE_OPENAI_ENDPOINT"].strip().rstrip("/"),
        openai_api_key=env.get("AZURE_OPENAI_API_KEY", "").strip(),
        voice_live_endpoint=env.get("VOICE_LIVE_ENDPOINT", "").strip().rstrip("/"),
        voice_live_api_key=env.get("VOICE_LIVE_API_KEY", "").strip(),
        voice_live_api_version=env.get("VOICE_LIVE_API_VERSION", "").strip() or VOICE_LIVE_API_VERSION,
        realtime_deployment=env.get("AZURE_OPENAI_REALTIME_DEPLOYMENT", "gpt-realtime").strip() or "gpt-realtime",
        max_calls=_int(env, "BRIDGE_MAX_CALLS", 200, low=1, high=100_000),
        max_call_seconds=_float(env, "BRIDGE_MAX_CALL_SECONDS", 1800.0),
        idle_timeout_seconds=_float(env, "BRIDGE_IDLE_TIMEOUT_SECONDS", 30.0),
        tool_timeout_seconds=_float(env, "BRIDGE_TOOL_TIMEOUT_SECONDS", 8.0),
        drain_seconds=_float(env, "BRIDGE_DRAIN_SECONDS", 60.0, low=0.0),
        event_flush_seconds=_float(env, "BRIDGE_EVENT_FLUSH_SECONDS", 2.0),
        log_level=log_level,
        appinsights_connection_string=env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip(),
        appinsights_authentication=env.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "").strip(),
        event_loop=event_loop,
        acs_resource_id=env.get("ACS_RESOURCE_ID", "").strip(),
        acs_openid_config_url=openid_url,
        web_allowed_origins=tuple(
            o.strip().rstrip("/") for o in env.get("BRIDGE_WEB_ALLOWED_ORIGINS", "").split(",") if o.strip()
        ),
        web_sessions_per_minute=_int(env, "BRIDGE_WEB_SESSIONS_PER_MINUTE", 10, low=1, high=10_000),
    )


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, *, low: float = 0.01) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds") from None
    if not low <= value < 1e7:
        raise SettingsError(f"{name} must be at least {low}")
    return value

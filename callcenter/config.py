"""The one place that reads environment settings.

Every setting is declared once in `SETTINGS`: name, meaning, example, feature, how it is read, its
default and range. `load_settings` reads them from there and `settings_table` writes the table of
docs/settings.md from there (`python -m callcenter.config`); the tests check that table and the
Bicep app settings against this list. Settings are read lazily and
cached, so a missing optional feature never breaks import: the endpoints of that feature answer 503.
"""

from __future__ import annotations

import enum
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from callcenter.errors import FeatureNotConfigured

ACS_OPENID_CONFIG = "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration"


class Kind(enum.StrEnum):
    """How a setting's text is read and checked."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"  # a non-negative decimal
    FLAG = "flag"  # true/false, 1/0, yes/no
    URL = "url"
    LIST = "list"  # comma-separated


@dataclass(frozen=True)
class Setting:
    """One environment setting: what it means, how it is read and checked, and its default.

    The reader (`load_settings`) and the documentation table (`settings_table`, docs/settings.md)
    both come from these fields, so they cannot disagree.
    """

    name: str
    meaning: str
    example: str
    feature: str
    kind: Kind = Kind.TEXT
    default: str | int | float | bool | None = None
    low: int | None = None  # integers: the smallest value accepted
    high: int | None = None  # integers: the largest value accepted
    schemes: tuple[str, ...] = ("https", "http")  # URLs: the schemes accepted, secure one first
    public: bool = False  # URLs Azure calls back: the plain scheme only on loopback
    secret: bool = False

    @property
    def range(self) -> str:
        """The accepted values, as the docs show them."""
        if self.kind is Kind.INTEGER:
            return f"{self.low}-{self.high}"
        if self.kind is Kind.NUMBER:
            return ">= 0"
        if self.kind is Kind.FLAG:
            return "true, false"
        if self.kind is Kind.URL and self.public:
            return f"{self.schemes[0]} URL ({self.schemes[-1]} on loopback only)"
        if self.kind is Kind.URL:
            return "/".join(self.schemes) + " URL"
        return ""


SETTINGS: tuple[Setting, ...] = (
    Setting("AZURE_OPENAI_ENDPOINT", "Azure OpenAI resource endpoint", "https://myres.openai.azure.com", "web, phone",
            Kind.URL),
    Setting("AZURE_OPENAI_API_KEY", "Azure OpenAI key; empty = Entra ID (managed identity)", "", "web, phone",
            secret=True),
    Setting("AZURE_OPENAI_REALTIME_DEPLOYMENT", "GPT-Realtime deployment name", "gpt-realtime", "web, phone",
            default="gpt-realtime"),
    Setting("AZURE_OPENAI_SUMMARY_DEPLOYMENT", "Chat deployment for post-call summaries; empty = none",
            "gpt-4o-mini", "phone"),
    Setting("REALTIME_SESSION_TTL_SECONDS", "Lifetime of a web session's ephemeral key", "600", "web",
            Kind.INTEGER, 600, 10, 7200),
    Setting("DEFAULT_AGENT", "Agent profile used when none is asked for", "default", "web, phone", default="default"),
    Setting("ACS_ENDPOINT", "Azure Communication Services endpoint", "https://myacs.communication.azure.com",
            "phone", Kind.URL),
    Setting("ACS_ACCESS_KEY", "ACS access key; empty = Entra ID", "", "phone", secret=True),
    Setting("ACS_PHONE_NUMBER", "The ACS number calls come in on and go out from (E.164)", "+18005550100", "phone"),
    Setting("ACS_RESOURCE_ID", "ACS immutable resource id: audience of callback JWTs", "00000000-0000-...", "phone"),
    Setting("ACS_OPENID_CONFIG_URL", "OpenID configuration that publishes the keys ACS signs callbacks with",
            ACS_OPENID_CONFIG, "phone", Kind.URL, ACS_OPENID_CONFIG),
    Setting("PUBLIC_BASE_URL", "Public https base URL of this function app (ACS callbacks)",
            "https://myapp.azurewebsites.net", "phone", Kind.URL, public=True),
    Setting("BRIDGE_PUBLIC_URL", "Public wss base URL of the media bridge", "wss://bridge.example.net", "phone",
            Kind.URL, schemes=("wss", "ws"), public=True),
    Setting("CALL_TOKEN_SECRET", "Shared secret signing per-call media and callback tokens (32+ characters)",
            "(32+ random bytes)", "phone", secret=True),
    Setting("CALL_TOKEN_TTL_SECONDS", "Lifetime of a per-call token", "3600", "phone", Kind.INTEGER, 3600, 60, 86400),
    Setting("PHONE_AGENTS", "Agent per dialled number: number=agent,...", "+18005550100=telecom", "phone", Kind.LIST),
    Setting("AGENT_BACKENDS", "Speech backend per agent, overriding its profile: agent=realtime|voice-live,...",
            "healthcare=voice-live", "web, phone", Kind.LIST),
    Setting("HUMAN_AGENT_TARGET", "Where escalations go: E.164 number or ACS user id (8:acs:...)", "+18005550199",
            "phone"),
    Setting("HUMAN_AGENT_HOURS", "When humans take transfers: days and local times", "Mon-Fri 09:00-17:00",
            "phone", default="Mon-Fri 09:00-17:00"),
    Setting("HUMAN_AGENT_TIMEZONE", "Time zone of HUMAN_AGENT_HOURS", "America/New_York", "phone", default="UTC"),
    Setting("MAX_CALL_SECONDS", "Longest a call may last before it is ended politely", "1800", "phone",
            Kind.INTEGER, 1800, 10, 4 * 3600),
    Setting("NO_ANSWER_SECONDS", "How long an outbound call may ring", "45", "phone", Kind.INTEGER, 45, 5, 300),
    Setting("RECORDING_ENABLED", "Play a consent prompt and record calls", "false", "phone", Kind.FLAG, False),
    Setting("REDACT_TRANSCRIPTS",
            "Mask card numbers, phone numbers and e-mail addresses in stored transcripts and tool calls", "false",
            "records", Kind.FLAG, False),
    Setting("CALLCENTER_TABLES_CONNECTION", "Table Storage connection string (local: Azurite)",
            "UseDevelopmentStorage=true", "records", secret=True),
    Setting("CALLCENTER_TABLES_ENDPOINT", "Table Storage endpoint used with managed identity",
            "https://mysa.table.core.windows.net", "records", Kind.URL),
    Setting("PRICE_PER_PHONE_MINUTE", "Telephony price per minute (USD) for cost estimates", "0.013", "records",
            Kind.NUMBER, 0.013),
    Setting("PRICE_PER_1K_INPUT_TOKENS", "Model price per 1,000 input tokens (USD)", "0.032", "records",
            Kind.NUMBER, 0.032),
    Setting("PRICE_PER_1K_OUTPUT_TOKENS", "Model price per 1,000 output tokens (USD)", "0.064", "records",
            Kind.NUMBER, 0.064),
    Setting("PRICE_VOICE_LIVE_PER_1K_INPUT_TOKENS",
            "Voice Live price per 1,000 input tokens (USD); empty = PRICE_PER_1K_INPUT_TOKENS (docs/voice-live.md)",
            "", "records", Kind.NUMBER),
    Setting("PRICE_VOICE_LIVE_PER_1K_OUTPUT_TOKENS",
            "Voice Live price per 1,000 output tokens (USD); empty = PRICE_PER_1K_OUTPUT_TOKENS (docs/voice-live.md)",
            "", "records", Kind.NUMBER),
    Setting("HTTP_TOOLS_FILE", "JSON file declaring HTTP tools that call your web services",
            "tools/http_tools.json", "tools"),
    Setting("OPENAPI_TOOLS_FILE", "JSON file naming OpenAPI documents and operations to expose",
            "tools/openapi_tools.json", "tools"),
    Setting("TOOL_ALLOWED_HOSTS", "Hosts HTTP/OpenAPI tools may call", "api.contoso.com", "tools", Kind.LIST),
    Setting("TOOL_HTTP_TIMEOUT_SECONDS", "Timeout of one HTTP tool request", "8", "tools", Kind.NUMBER, 8.0),
    Setting("MAX_BODY_BYTES", "Largest request body accepted (413 above)", "1048576", "api",
            Kind.INTEGER, 1024 * 1024, 1024, 64 * 1024 * 1024),
    Setting("CORS_ALLOWED_ORIGINS", "Origins allowed to call the API from a browser; empty = same origin only",
            "https://myweb.azurestaticapps.net", "api", Kind.LIST),
    Setting("SESSION_RATE_LIMIT_PER_MINUTE", "Web sessions (and outbound calls) one client may start per minute",
            "6", "web", Kind.INTEGER, 6, 1, 10_000),
    Setting("REQUIRE_SIGNED_IN_USER", "Refuse browser requests without a Static Web Apps principal", "false", "web",
            Kind.FLAG, False),
    Setting("API_BASE_URL", "API base URL the front end calls (runtime-config.js); empty = same origin",
            "https://myapp.azurewebsites.net", "web", default=""),
    Setting("DURABLE_TASK_HUB", "Durable Functions task hub name (read by the host through host.json)",
            "callcenter", "core"),
    Setting("RETENTION_DAYS",
            "Days call records, call events and finished Durable instances are kept; a daily timer purges older ones",
            "90", "records", Kind.INTEGER, 90, 1, 3650),
    Setting("DNC_HASH_KEY",
            "Key of the HMAC the do-not-call list is keyed by (32+ characters; Key Vault reference on Azure)",
            "", "campaigns", secret=True),
    Setting("DNC_HASH_KEY_PREVIOUS",
            "The DNC_HASH_KEY a rotation replaced, still read until no row is keyed by it (docs/do-not-call.md)",
            "", "campaigns", secret=True),
    Setting("APPLICATIONINSIGHTS_CONNECTION_STRING",
            "Application Insights connection string: OpenTelemetry traces and metrics; empty = none",
            "InstrumentationKey=...;IngestionEndpoint=...", "observability"),
    Setting("APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
            "Entra ID for telemetry: Authorization=AAD;ClientId=<identity>; empty = key auth",
            "Authorization=AAD;ClientId=0000...", "observability"),
)  # fmt: skip
_BY_NAME = {s.name: s for s in SETTINGS}

KNOWN_SETTINGS = frozenset(s.name for s in SETTINGS)


class SettingError(FeatureNotConfigured):
    """A setting is present but malformed; the message names the setting, never its value."""

    code = "invalid_setting"


@dataclass(frozen=True)
class RealtimeSettings:
    endpoint: str
    api_key: str | None
    deployment: str
    summary_deployment: str | None
    session_ttl_seconds: int


@dataclass(frozen=True)
class AcsSettings:
    endpoint: str
    access_key: str | None
    phone_number: str
    resource_id: str
    openid_config_url: str
    public_base_url: str
    bridge_public_url: str
    call_token_secret: str
    call_token_ttl_seconds: int


@dataclass(frozen=True)
class Settings:
    """Everything the function app is configured with; build it with `load_settings`."""

    realtime: RealtimeSettings | None
    acs: AcsSettings | None
    default_agent: str
    phone_agents: Mapping[str, str]
    human_agent_target: str | None
    human_agent_hours: str
    human_agent_timezone: str
    max_call_seconds: int
    no_answer_seconds: int
    recording_enabled: bool
    tables_connection: str | None
    tables_endpoint: str | None
    price_per_phone_minute: float
    price_per_1k_input_tokens: float
    price_per_1k_output_tokens: float
    http_tools_file: str | None
    openapi_tools_file: str | None
    tool_allowed_hosts: frozenset[str]
    tool_http_timeout_seconds: float
    max_body_bytes: int
    cors_allowed_origins: tuple[str, ...]
    session_rate_limit_per_minute: int
    require_signed_in_user: bool
    api_base_url: str
    redact_transcripts: bool = False
    agent_backends: Mapping[str, str] = field(default_factory=dict)
    price_voice_live_per_1k_input_tokens: float | None = None  # None: the Realtime prices apply
    price_voice_live_per_1k_output_tokens: float | None = None
    appinsights_connection_string: str | None = None
    appinsights_authentication: str | None = None
    retention_days: int = 90
    dnc_hash_keys: tuple[str, ...] = ()  # current key first, then the previous one (rotation)
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def require_realtime(self) -> RealtimeSettings:
        """The Azure OpenAI settings, or a 503 naming what is missing."""
        if self.realtime is None:
            raise FeatureNotConfigured(_missing_message("Azure OpenAI Realtime", self.missing.get("realtime", ())))
        return self.realtime

    def require_acs(self) -> AcsSettings:
        """The phone settings, or a 503 naming what is missing."""
        if self.acs is None:
            raise FeatureNotConfigured(_missing_message("Phone calls (ACS)", self.missing.get("acs", ())))
        return self.acs

    @property
    def tables_configured(self) -> bool:
        return bool(self.tables_connection or self.tables_endpoint)


def _missing_message(feature: str, names: tuple[str, ...]) -> str:
    return f"{feature} is not configured: set {', '.join(names)}"


class _Reader:
    """Typed access to an environment mapping, by declared setting; every error names the setting."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def _declared(self, name: str, kind: Kind) -> Setting:
        setting = _BY_NAME[name]
        if setting.kind is not kind:
            raise TypeError(f"setting {name} is declared {setting.kind}, read as {kind}")
        return setting

    def _raw(self, name: str) -> str | None:
        return self._env.get(name, "").strip() or None

    def is_set(self, name: str) -> bool:
        return self._raw(name) is not None

    def text(self, name: str) -> str | None:
        setting = self._declared(name, Kind.TEXT)
        default = setting.default
        return self._raw(name) or (str(default) if default is not None else None)

    def integer(self, name: str) -> int:
        setting = self._declared(name, Kind.INTEGER)
        raw = self._raw(name)
        if raw is None:
            return int(setting.default or 0)
        try:
            value = int(raw)
        except ValueError:
            raise SettingError(f"setting {name} must be an integer") from None
        if not (setting.low or 0) <= value <= (setting.high or value):
            raise SettingError(f"setting {name} must be between {setting.low} and {setting.high}")
        return value

    def number(self, name: str) -> float:
        setting = self._declared(name, Kind.NUMBER)
        raw = self._raw(name)
        if raw is None:
            return float(setting.default or 0.0)
        try:
            value = float(raw)
        except ValueError:
            raise SettingError(f"setting {name} must be a number") from None
        if value < 0:
            raise SettingError(f"setting {name} must not be negative")
        return value

    def flag(self, name: str) -> bool:
        setting = self._declared(name, Kind.FLAG)
        raw = (self._raw(name) or str(setting.default or False)).lower()
        if raw not in {"true", "false", "1", "0", "yes", "no"}:
            raise SettingError(f"setting {name} must be true or false")
        return raw in {"true", "1", "yes"}

    def url(self, name: str) -> str | None:
        setting = self._declared(name, Kind.URL)
        raw = self._raw(name) or (str(setting.default) if setting.default else None)
        if raw is None:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in setting.schemes or not parts.netloc:
            raise SettingError(f"setting {name} must be a {'/'.join(setting.schemes)} URL")
        secure, plain = setting.schemes[0], setting.schemes[-1]
        if setting.public and parts.scheme == plain and not _is_loopback(parts.hostname or ""):
            raise SettingError(f"setting {name} must be a {secure} URL (ACS refuses {plain} except on loopback)")
        return raw.rstrip("/")

    def items(self, name: str) -> tuple[str, ...]:
        self._declared(name, Kind.LIST)
        return tuple(part.strip() for part in (self._raw(name) or "").split(",") if part.strip())


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read_realtime(read: _Reader) -> tuple[RealtimeSettings | None, tuple[str, ...]]:
    endpoint = read.url("AZURE_OPENAI_ENDPOINT")
    if endpoint is None:
        return None, ("AZURE_OPENAI_ENDPOINT",)
    return (
        RealtimeSettings(
            endpoint=endpoint,
            api_key=read.text("AZURE_OPENAI_API_KEY"),
            deployment=read.text("AZURE_OPENAI_REALTIME_DEPLOYMENT") or "",
            summary_deployment=read.text("AZURE_OPENAI_SUMMARY_DEPLOYMENT"),
            session_ttl_seconds=read.integer("REALTIME_SESSION_TTL_SECONDS"),
        ),
        (),
    )


def _read_acs(read: _Reader) -> tuple[AcsSettings | None, tuple[str, ...]]:
    values = {
        "ACS_ENDPOINT": read.url("ACS_ENDPOINT"),
        "ACS_PHONE_NUMBER": read.text("ACS_PHONE_NUMBER"),
        "ACS_RESOURCE_ID": read.text("ACS_RESOURCE_ID"),
        "PUBLIC_BASE_URL": read.url("PUBLIC_BASE_URL"),
        "BRIDGE_PUBLIC_URL": read.url("BRIDGE_PUBLIC_URL"),
        "CALL_TOKEN_SECRET": read.text("CALL_TOKEN_SECRET"),
    }
    missing = tuple(name for name, value in values.items() if value is None)
    if missing:
        return None, missing
    secret = values["CALL_TOKEN_SECRET"] or ""
    if len(secret) < 32:  # HS256 keys shorter than the hash are weak (RFC 7518 3.2); the bridge agrees
        raise SettingError("setting CALL_TOKEN_SECRET must be at least 32 characters")
    return (
        AcsSettings(
            endpoint=values["ACS_ENDPOINT"] or "",
            access_key=read.text("ACS_ACCESS_KEY"),
            phone_number=values["ACS_PHONE_NUMBER"] or "",
            resource_id=values["ACS_RESOURCE_ID"] or "",
            openid_config_url=read.url("ACS_OPENID_CONFIG_URL") or ACS_OPENID_CONFIG,
            public_base_url=values["PUBLIC_BASE_URL"] or "",
            bridge_public_url=values["BRIDGE_PUBLIC_URL"] or "",
            call_token_secret=secret,
            call_token_ttl_seconds=read.integer("CALL_TOKEN_TTL_SECONDS"),
        ),
        (),
    )


def _read_phone_agents(read: _Reader) -> dict[str, str]:
    agents: dict[str, str] = {}
    for item in read.items("PHONE_AGENTS"):
        number, sep, agent = item.partition("=")
        if not sep or not number.strip() or not agent.strip():
            raise SettingError("setting PHONE_AGENTS must look like +15551230000=agent,+1555...=agent")
        agents[number.strip()] = agent.strip()
    return agents


def _read_dnc_keys(read: _Reader) -> tuple[str, ...]:
    keys = tuple(k for k in (read.text("DNC_HASH_KEY"), read.text("DNC_HASH_KEY_PREVIOUS")) if k)
    if keys and not read.text("DNC_HASH_KEY"):
        raise SettingError("setting DNC_HASH_KEY_PREVIOUS needs DNC_HASH_KEY (the key that replaced it)")
    if any(len(k) < 32 for k in keys):  # an HMAC key shorter than its hash is weak (RFC 2104 section 3)
        raise SettingError("settings DNC_HASH_KEY and DNC_HASH_KEY_PREVIOUS must be at least 32 characters")
    return keys


def _optional_number(read: _Reader, name: str) -> float | None:
    return read.number(name) if read.is_set(name) else None


def _read_agent_backends(read: _Reader) -> dict[str, str]:
    backends: dict[str, str] = {}
    for item in read.items("AGENT_BACKENDS"):
        agent, sep, backend = (part.strip() for part in item.partition("="))
        if not sep or not agent or backend not in ("realtime", "voice-live"):
            raise SettingError("setting AGENT_BACKENDS must look like agent=voice-live,agent=realtime")
        backends[agent] = backend
    return backends


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting from `env` (the process environment by default).

    Raises:
        SettingError: a setting is present but malformed.
    """
    read = _Reader(os.environ if env is None else env)
    realtime, realtime_missing = _read_realtime(read)
    acs, acs_missing = _read_acs(read)
    return Settings(
        realtime=realtime,
        acs=acs,
        default_agent=read.text("DEFAULT_AGENT") or "",
        phone_agents=_read_phone_agents(read),
        agent_backends=_read_agent_backends(read),
        price_voice_live_per_1k_input_tokens=_optional_number(read, "PRICE_VOICE_LIVE_PER_1K_INPUT_TOKENS"),
        price_voice_live_per_1k_output_tokens=_optional_number(read, "PRICE_VOICE_LIVE_PER_1K_OUTPUT_TOKENS"),
        human_agent_target=read.text("HUMAN_AGENT_TARGET"),
        human_agent_hours=read.text("HUMAN_AGENT_HOURS") or "",
        human_agent_timezone=read.text("HUMAN_AGENT_TIMEZONE") or "",
        max_call_seconds=read.integer("MAX_CALL_SECONDS"),
        no_answer_seconds=read.integer("NO_ANSWER_SECONDS"),
        recording_enabled=read.flag("RECORDING_ENABLED"),
        tables_connection=read.text("CALLCENTER_TABLES_CONNECTION"),
        tables_endpoint=read.url("CALLCENTER_TABLES_ENDPOINT"),
        price_per_phone_minute=read.number("PRICE_PER_PHONE_MINUTE"),
        price_per_1k_input_tokens=read.number("PRICE_PER_1K_INPUT_TOKENS"),
        price_per_1k_output_tokens=read.number("PRICE_PER_1K_OUTPUT_TOKENS"),
        http_tools_file=read.text("HTTP_TOOLS_FILE"),
        openapi_tools_file=read.text("OPENAPI_TOOLS_FILE"),
        tool_allowed_hosts=frozenset(h.lower() for h in read.items("TOOL_ALLOWED_HOSTS")),
        tool_http_timeout_seconds=read.number("TOOL_HTTP_TIMEOUT_SECONDS"),
        max_body_bytes=read.integer("MAX_BODY_BYTES"),
        cors_allowed_origins=read.items("CORS_ALLOWED_ORIGINS"),
        session_rate_limit_per_minute=read.integer("SESSION_RATE_LIMIT_PER_MINUTE"),
        require_signed_in_user=read.flag("REQUIRE_SIGNED_IN_USER"),
        api_base_url=read.text("API_BASE_URL") or "",
        redact_transcripts=read.flag("REDACT_TRANSCRIPTS"),
        appinsights_connection_string=read.text("APPLICATIONINSIGHTS_CONNECTION_STRING"),
        appinsights_authentication=read.text("APPLICATIONINSIGHTS_AUTHENTICATION_STRING"),
        retention_days=read.integer("RETENTION_DAYS"),
        dnc_hash_keys=_read_dnc_keys(read),
        missing={"realtime": realtime_missing, "acs": acs_missing},
    )


def tool_secret(name: str) -> str:
    """A header value an HTTP tool declares as `${NAME}`, read from the environment.

    Raises:
        SettingError: the setting is not set (the tool cannot authenticate to its service).
    """
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingError(f"setting {name} used by an HTTP tool is not set")
    return value


def settings_table() -> str:
    """The Markdown table of docs/settings.md, from the declarations."""
    lines = [
        "| Setting | Meaning | Example | Type | Default | Range | Feature |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = (
            ""
            if s.default is None or s.default == ""
            else str(s.default).lower()
            if s.kind is Kind.FLAG
            else str(s.default)
        )
        example = "(secret)" if s.secret and not s.example.startswith("(") else s.example
        cells = [f"`{s.name}`", s.meaning, f"`{example}`" if example else "", s.kind.value,
                 f"`{default}`" if default else "", s.range, s.feature]  # fmt: skip
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (the Functions host restarts the worker on a change)."""
    return load_settings()


if __name__ == "__main__":
    print(settings_table(), end="")

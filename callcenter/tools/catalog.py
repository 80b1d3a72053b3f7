"""The process's tool registry: the packs plus the HTTP and OpenAPI tools declared in settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from callcenter.config import get_settings
from callcenter.errors import FeatureNotConfigured
from callcenter.tools import call_control, campaign_tools, healthcare, retail, telecom
from callcenter.tools.http_tools import load_http_tools
from callcenter.tools.openapi_import import load_openapi_tools
from callcenter.tools.registry import ToolRegistry

APP_ROOT = Path(__file__).resolve().parents[2]


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else APP_ROOT / path


@lru_cache(maxsize=1)
def get_registry() -> ToolRegistry:
    """All tools, built once. A broken declaration is a 503 naming the tool, not a crash at import."""
    settings = get_settings()
    registry = ToolRegistry(
        [*call_control.tools(), *campaign_tools.tools(), *telecom.tools(), *healthcare.tools(), *retail.tools()]
    )
    try:
        if settings.http_tools_file:
            for tool in load_http_tools(_path(settings.http_tools_file), settings.tool_allowed_hosts):
                registry.add(tool)
        if settings.openapi_tools_file:
            for tool in load_openapi_tools(_path(settings.openapi_tools_file), settings.tool_allowed_hosts):
                registry.add(tool)
    except (OSError, ValueError, KeyError) as exc:
        raise FeatureNotConfigured(f"tool declarations could not be loaded: {exc}", code="invalid_tools") from None
    return registry

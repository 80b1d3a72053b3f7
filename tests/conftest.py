"""Fixtures shared by every test: the function app hosted on loopback with test settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from callcenter.config import get_settings
from callcenter.tools.catalog import get_registry
from callcenter.tools.demo_data import reset_demo_store
from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.server import FunctionsHost
from tests.support.servers import serve

REPO = Path(__file__).resolve().parents[1]
FUNCTION_KEY = "test-function-key"
MASTER_KEY = "test-master-key"


def reset_app_state() -> None:
    """Forget cached settings, tools and demo-data writes so each test sees its own environment."""
    from callcenter.endpoints.guards import clear_rate_limits

    get_settings.cache_clear()
    clear_rate_limits()
    get_registry.cache_clear()
    reset_demo_store()


@pytest.fixture(autouse=True)
def _clean_app_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from callcenter.config import KNOWN_SETTINGS

    for name in KNOWN_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    reset_app_state()
    yield
    reset_app_state()


HostFactory = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def function_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> HostFactory:
    """Start the function app in the local host: `with function_host(SETTING="v") as base_url: ...`."""

    @contextmanager
    def start(**values: str) -> Iterator[str]:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        reset_app_state()
        keys = HostKeys({"default": FUNCTION_KEY}, MASTER_KEY, {"eventgrid_extension": FUNCTION_KEY})
        host = FunctionsHost(REPO, data_dir=tmp_path / "host-data", settings=LocalSettings({}, keys))
        with serve(host.asgi()) as base_url:
            yield base_url

    return start

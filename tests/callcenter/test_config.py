"""Settings: typed, validated, documented once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from callcenter.config import SETTINGS, SettingError, load_settings
from callcenter.errors import FeatureNotConfigured

REPO = Path(__file__).resolve().parents[2]


def test_settings_doc_lists_exactly_the_settings_config_reads() -> None:
    section = (REPO / "docs" / "settings.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, flags=re.M))
    assert documented == {s.name for s in SETTINGS}


def test_example_settings_file_lists_every_setting() -> None:
    example = json.loads((REPO / "local.settings.example.json").read_text())
    assert {s.name for s in SETTINGS} <= set(example["Values"])


def test_config_is_the_only_module_reading_the_environment() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "callcenter").rglob("*.py")
        if path.name != "config.py" and re.search(r"os\.environ|os\.getenv", path.read_text())
    ]
    assert offenders == []


def test_missing_features_are_reported_with_the_settings_to_set() -> None:
    settings = load_settings({})
    with pytest.raises(FeatureNotConfigured, match="ACS_ENDPOINT"):
        settings.require_acs()
    with pytest.raises(FeatureNotConfigured, match="AZURE_OPENAI_ENDPOINT"):
        settings.require_realtime()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_BODY_BYTES", "-5"),
        ("MAX_CALL_SECONDS", "soon"),
        ("AZURE_OPENAI_ENDPOINT", "ftp://x"),
        ("RECORDING_ENABLED", "maybe"),
        ("PHONE_AGENTS", "+1555="),
    ],
)
def test_malformed_settings_name_the_setting_but_not_the_value(name: str, value: str) -> None:
    with pytest.raises(SettingError, match=name) as caught:
        load_settings({name: value})
    assert value not in caught.value.message or len(value) < 3


def test_short_call_token_secret_is_refused() -> None:
    env = {
        "ACS_ENDPOINT": "https://a",
        "ACS_PHONE_NUMBER": "+1",
        "ACS_RESOURCE_ID": "r",
        "PUBLIC_BASE_URL": "https://p",
        "BRIDGE_PUBLIC_URL": "wss://b",
        "CALL_TOKEN_SECRET": "short",
    }
    with pytest.raises(SettingError, match="CALL_TOKEN_SECRET"):
        load_settings(env)

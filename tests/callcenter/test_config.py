"""Settings: typed, validated, documented once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from callcenter.config import SETTINGS, Kind, SettingError, load_settings, settings_table
from callcenter.errors import FeatureNotConfigured

REPO = Path(__file__).resolve().parents[2]


def test_settings_doc_table_is_the_one_the_declarations_generate() -> None:
    page = (REPO / "docs" / "settings.md").read_text()
    assert settings_table() in page, "regenerate: .venv/bin/python -m callcenter.config"
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", page, flags=re.M))
    assert documented == {s.name for s in SETTINGS}


def test_every_declared_setting_is_read_as_its_declared_kind() -> None:
    # load_settings raises TypeError when a setting is read as another kind than declared.
    everything = {s.name: s.example for s in SETTINGS if s.kind is not Kind.TEXT}
    settings = load_settings({**everything, "PHONE_AGENTS": "+18005550100=telecom"})
    assert settings.max_call_seconds == 1800 and settings.tool_http_timeout_seconds == 8.0


def test_defaults_and_ranges_come_from_the_declarations() -> None:
    declared = {s.name: s for s in SETTINGS}
    settings = load_settings({})
    assert settings.no_answer_seconds == declared["NO_ANSWER_SECONDS"].default
    assert settings.human_agent_timezone == declared["HUMAN_AGENT_TIMEZONE"].default
    high = declared["NO_ANSWER_SECONDS"].high
    assert high is not None
    assert load_settings({"NO_ANSWER_SECONDS": str(high)}).no_answer_seconds == high
    with pytest.raises(SettingError, match="NO_ANSWER_SECONDS must be between 5 and 300"):
        load_settings({"NO_ANSWER_SECONDS": str(high + 1)})


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


@pytest.mark.parametrize(
    ("name", "value"),
    [("PUBLIC_BASE_URL", "http://callcenter.example.com"), ("BRIDGE_PUBLIC_URL", "ws://bridge.example.com")],
)
def test_public_urls_acs_calls_must_be_tls_unless_loopback(name: str, value: str) -> None:
    env = {
        "ACS_ENDPOINT": "https://a",
        "ACS_PHONE_NUMBER": "+1",
        "ACS_RESOURCE_ID": "r",
        "PUBLIC_BASE_URL": "http://127.0.0.1:7071",
        "BRIDGE_PUBLIC_URL": "ws://localhost:8765",
        "CALL_TOKEN_SECRET": "s" * 32,
    }
    assert load_settings(env).require_acs().public_base_url == "http://127.0.0.1:7071"
    with pytest.raises(SettingError, match=name):
        load_settings({**env, name: value})

"""Media tokens (docs/internal-api.md) and settings parsing."""

from __future__ import annotations

import time

import jwt
import pytest

from bridge.settings import SettingsError, load_settings
from bridge.tokens import (
    TokenError,
    TokenProblem,
    UsedTokens,
    WebGrant,
    issue_media_token,
    issue_web_token,
    verify_media_token,
    verify_web_token,
)

SECRET = "s" * 40


def test_token_bound_to_the_call_is_accepted() -> None:
    verify_media_token(issue_media_token("call-1", SECRET), "call-1", SECRET)


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("", TokenProblem.MISSING),
        (issue_media_token("call-1", "x" * 40), TokenProblem.INVALID),
        (issue_media_token("call-1", SECRET, ttl_seconds=10, now=1000), TokenProblem.EXPIRED),
        (issue_media_token("call-2", SECRET), TokenProblem.WRONG_CALL),
        (
            jwt.encode({"sub": "call-1", "aud": "someone-else", "iat": 0, "exp": 4102444800}, SECRET),
            TokenProblem.INVALID,
        ),
        (jwt.encode({"sub": "call-1", "aud": "callcenter-bridge", "iat": 0}, SECRET), TokenProblem.INVALID),
        (
            jwt.encode(
                {"sub": "call-1", "aud": "callcenter-bridge", "iat": 0, "exp": 4102444800}, None, algorithm="none"
            ),
            TokenProblem.INVALID,
        ),
    ],
)
def test_tokens_that_do_not_admit_the_call_are_refused_with_a_reason(token: str, problem: TokenProblem) -> None:
    with pytest.raises(TokenError) as caught:
        verify_media_token(token, "call-1", SECRET)
    assert caught.value.problem is problem


BASE = {
    "CALL_TOKEN_SECRET": SECRET,
    "FUNCTION_APP_URL": "http://127.0.0.1:7071",
    "AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com/",
}


def test_settings_defaults_and_realtime_url() -> None:
    settings = load_settings(BASE | {"AZURE_OPENAI_REALTIME_DEPLOYMENT": "gpt-rt"})
    assert settings.port == 8765 and settings.host == "127.0.0.1" and settings.openai_api_key == ""
    assert settings.realtime_url == "wss://r.openai.azure.com/openai/v1/realtime?model=gpt-rt"
    assert settings.event_loop == "uvloop"
    assert load_settings(BASE | {"BRIDGE_EVENT_LOOP": "asyncio"}).event_loop == "asyncio"


def test_web_settings_list_origins_without_trailing_slashes_and_default_to_none() -> None:
    assert load_settings(BASE).web_allowed_origins == ()
    origins = " https://a.example/ , http://localhost:5173,"
    settings = load_settings(BASE | {"BRIDGE_WEB_ALLOWED_ORIGINS": origins})
    assert settings.web_allowed_origins == ("https://a.example", "http://localhost:5173")
    assert settings.web_sessions_per_minute == 10


def test_a_web_token_names_its_session_and_is_spent_once_until_it_expires() -> None:
    secret = "s" * 32
    issued = time.time()
    grant = verify_web_token(issue_web_token("web_9", "retail", secret, now=issued), "retail", secret)
    assert (grant.session_id, grant.agent, grant.expires_at) == ("web_9", "retail", int(issued) + 120)
    used = UsedTokens()
    assert used.claim(grant, now=issued) and not used.claim(grant, now=issued + 100)
    later = WebGrant("web_10", "retail", "other", issued + 10_000)
    assert used.claim(later, now=issued + 1000)  # the spent, expired id is pruned: memory stays bounded
    assert grant.token_id not in used._expiry


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"CALL_TOKEN_SECRET": ""}, "CALL_TOKEN_SECRET"),
        ({"CALL_TOKEN_SECRET": "short"}, "CALL_TOKEN_SECRET"),
        ({"FUNCTION_APP_URL": "ftp://x"}, "FUNCTION_APP_URL"),
        ({"BRIDGE_PORT": "eighty"}, "BRIDGE_PORT"),
        ({"BRIDGE_MAX_CALLS": "0"}, "BRIDGE_MAX_CALLS"),
        ({"BRIDGE_TOOL_TIMEOUT_SECONDS": "-1"}, "BRIDGE_TOOL_TIMEOUT_SECONDS"),
        ({"BRIDGE_LOG_LEVEL": "LOUD"}, "BRIDGE_LOG_LEVEL"),
        ({"BRIDGE_EVENT_LOOP": "trio"}, "BRIDGE_EVENT_LOOP"),
        ({"BRIDGE_WEB_SESSIONS_PER_MINUTE": "0"}, "BRIDGE_WEB_SESSIONS_PER_MINUTE"),
    ],
)
def test_bad_settings_name_the_variable_but_not_the_value(override: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(BASE | override)
    assert named in str(caught.value) and SECRET not in str(caught.value)

"""A call's estimated cost: telephony minutes plus model tokens, at the configured prices."""

from __future__ import annotations

import pytest

from callcenter.config import load_settings
from callcenter.pricing import estimate_call_cost


def test_estimate_adds_phone_minutes_and_tokens_at_the_configured_prices() -> None:
    settings = load_settings(
        {"PRICE_PER_PHONE_MINUTE": "0.02", "PRICE_PER_1K_INPUT_TOKENS": "0.01", "PRICE_PER_1K_OUTPUT_TOKENS": "0.1"}
    )
    assert estimate_call_cost(settings, 90, 2000, 500) == pytest.approx(1.5 * 0.02 + 2 * 0.01 + 0.5 * 0.1)


def test_estimate_of_an_unanswered_call_without_tokens_is_zero() -> None:
    assert estimate_call_cost(load_settings({}), 0.0, 0, 0) == 0.0

"""What a call costs: the one formula behind each record's `estimated_cost` (and docs/cost.md).

The estimate covers what varies per call and is priced by settings: telephony minutes
(PRICE_PER_PHONE_MINUTE, from answer to hang-up) and the model's tokens as the Realtime API reports them
in `response.done` usage (PRICE_PER_1K_INPUT_TOKENS / PRICE_PER_1K_OUTPUT_TOKENS). Platform costs
(Functions, storage, the bridge) are per month, not per record: bench/cost_model.py adds them.
"""

from __future__ import annotations

from callcenter.config import Settings


def estimate_call_cost(settings: Settings, seconds: float, input_tokens: int, output_tokens: int) -> float:
    """USD for `seconds` of a connected call that used these model tokens."""
    return (
        seconds / 60 * settings.price_per_phone_minute
        + input_tokens / 1000 * settings.price_per_1k_input_tokens
        + output_tokens / 1000 * settings.price_per_1k_output_tokens
    )

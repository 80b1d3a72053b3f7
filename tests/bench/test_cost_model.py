"""docs/cost.md's generated section matches what bench/cost_model.py computes from the code's prices."""

from __future__ import annotations

from dataclasses import replace

from bench.cost_model import BEGIN, DOC, END, MEASURED, per_call, per_month, render, updated
from callcenter.config import load_settings


def test_cost_page_matches_the_code_that_estimates_each_record() -> None:
    text = DOC.read_text()
    section = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert section == render(), "run `.venv/bin/python -m bench.cost_model --write` and commit docs/cost.md"


def test_a_price_setting_change_changes_the_page() -> None:
    cheaper = load_settings({"PRICE_PER_1K_INPUT_TOKENS": "0.004"})
    assert render(cheaper) != render()
    assert updated(DOC.read_text(), render(cheaper)) != DOC.read_text()


def test_per_call_estimate_is_the_records_formula_for_three_minutes() -> None:
    settings = load_settings({"PRICE_PER_PHONE_MINUTE": "0.02"})
    call = per_call(settings)
    tokens_in = round(MEASURED.input_tokens_per_minute * 3)
    tokens_out = round(MEASURED.output_tokens_per_minute * 3)
    expected = 3 * 0.02 + tokens_in / 1000 * 0.032 + tokens_out / 1000 * 0.064
    assert abs(call.recorded_estimate - expected) < 1e-9
    assert abs(call.recorded_estimate - call.model - 3 * 0.02) < 1e-9


def test_monthly_free_grants_apply_before_functions_are_billed() -> None:
    call = per_call(load_settings({}), replace(MEASURED, function_cpu_seconds_per_call=10.0))
    assert per_month(1_000, call)["functions"] == 0.0  # 20,000 GB-s and ~20,000 executions: within the grant
    assert per_month(100_000, call)["functions"] > 0.0

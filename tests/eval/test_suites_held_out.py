"""The shipped suites test the agent on callers' own words, not on the language model's sentences."""

from __future__ import annotations

from eval.scenario import load_suites
from tests.support.held_out import verbatim


def test_no_scenario_line_is_a_sentence_of_the_language_model() -> None:
    lines = [text for s in load_suites() for line in s.lines for text in (line.say, *line.variations)]
    assert len(lines) > 100
    assert verbatim(lines) == []

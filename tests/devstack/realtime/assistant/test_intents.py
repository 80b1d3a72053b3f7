"""Intents come from cue phrases: whole words, gaps where people put words, and "not" heard."""

from __future__ import annotations

from devstack.realtime.assistant.intents import YES, clear_intent, rank_intents


def _best(text: str) -> str | None:
    ranked = rank_intents(text)
    return ranked[0].name if ranked else None


def test_a_cue_followed_by_not_does_not_count() -> None:
    assert clear_intent(rank_intents("please do not ever call me again"), {YES}) is None
    assert _best("please do not ever call me again") == "add_to_do_not_call"
    assert _best("yes please do") == YES


def test_a_gap_in_a_cue_takes_the_words_callers_put_there() -> None:
    assert _best("i want to send my rain jacket back") == "start_return"
    assert _best("i want to send it back") == "start_return"
    assert _best("i want to send a message") != "start_return"

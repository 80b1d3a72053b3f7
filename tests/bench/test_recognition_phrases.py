"""The recognition benchmark measures generalisation: its requests are not the language model's own sentences."""

from __future__ import annotations

from bench.recognition_phrases import PHRASES
from tests.support.held_out import verbatim


def test_no_benchmark_request_is_a_sentence_of_the_language_model() -> None:
    assert verbatim([text for _, text, _, _ in PHRASES]) == []


def test_every_phrase_is_said_once() -> None:
    texts = [text for _, text, _, _ in PHRASES]
    assert len(texts) == len(set(texts)) and len(texts) >= 100

"""The recognition benchmark measures generalisation: its requests are not the language model's own sentences."""

from __future__ import annotations

from bench.recognition_phrases import PHRASES
from devstack.realtime.assistant.domain import load_domain
from devstack.realtime.assistant.grammar import corpus
from devstack.realtime.assistant.spoken import DIGIT_WORDS, MONTHS, ORDINALS, words_of

# A bare answer ("nine eight one zero one") is a value the data holds: the model has to know it.
_VALUE_WORDS = {*DIGIT_WORDS, *MONTHS, *ORDINALS, "oh", "twenty", "thirty", "nineteen", "eighty", "ninety"}
_VALUE_WORDS |= set("acdkoprstx")  # spelled id prefixes


def test_no_benchmark_request_is_a_sentence_of_the_language_model() -> None:
    sentences = {" ".join(words_of(s)) for s in corpus(load_domain())}
    verbatim = [
        text
        for _, text, _, _ in PHRASES
        if len(text.split()) >= 4 and not set(text.split()) <= _VALUE_WORDS and " ".join(words_of(text)) in sentences
    ]
    assert verbatim == []


def test_every_phrase_is_said_once() -> None:
    texts = [text for _, text, _, _ in PHRASES]
    assert len(texts) == len(set(texts)) and len(texts) >= 100

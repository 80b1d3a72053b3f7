"""Which test sentences the offline assistant's language model was built from (so tests can keep them apart)."""

from __future__ import annotations

from devstack.realtime.assistant.domain import load_domain
from devstack.realtime.assistant.grammar import corpus
from devstack.realtime.assistant.spoken import DIGIT_WORDS, MONTHS, ORDINALS, words_of

# A bare answer ("nine eight one zero one") is a value the data holds: the model has to know it.
NUMBER_WORDS = "oh ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen thousand"
TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
VALUE_WORDS = {*DIGIT_WORDS, *MONTHS, *ORDINALS, *NUMBER_WORDS.split(), *TENS.split()}
VALUE_WORDS |= set("acdkoprstx") | {"zip", "code"}  # spelled id prefixes, and a ZIP said with its name


def verbatim(texts: list[str]) -> list[str]:
    """The requests among `texts` (four words or more, not only a value) that are model sentences."""
    sentences = {" ".join(words_of(s)) for s in corpus(load_domain())}
    return [
        text
        for text in texts
        if len(text.split()) >= 4 and not set(words_of(text)) <= VALUE_WORDS and " ".join(words_of(text)) in sentences
    ]

"""eSpeak NG is one library with global state per process: concurrent calls must each get their own speech."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from devstack.realtime import speech
from devstack.realtime.assistant.recognizer import Recognizer


def test_concurrent_callers_each_hear_their_own_sentence_from_the_shared_speaker() -> None:
    # The sentences are synthesized at the same moment from several threads, as two phone calls'
    # callers (and the agent's replies) are; each recording must hold its own words only.
    sentences = ["I want to return my jacket", "a person please", "thank you goodbye"]
    start = threading.Barrier(len(sentences))

    def speak(text: str) -> tuple[int, bytes]:
        start.wait(timeout=30)
        return id(speech.shared_speaker()), speech.espeak_voice(text)

    with ThreadPoolExecutor(len(sentences)) as pool:
        spoken = list(pool.map(speak, sentences, timeout=120))

    assert len({instance for instance, _ in spoken}) == 1
    recognizer = Recognizer()
    heard = [set(recognizer.transcribe(audio).text.split()) for _, audio in spoken]
    keys = ["jacket", "person", "goodbye"]  # one word only each sentence has
    assert [[key in words for key in keys] for words in heard] == [
        [True, False, False],
        [False, True, False],
        [False, False, True],
    ]

"""Speech-to-text for the offline assistant: PocketSphinx with the domain model, general fallback.

One decoder holds two searches: the domain trigram model built by `grammar.py` (activated first)
and PocketSphinx's bundled general US English model. The general model is used only when the
caller's words fall outside the domain (`Recognizer.transcribe(..., fallback=...)` decides), so
in-domain speech costs one decode.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from devstack.realtime.assistant.domain import Domain, load_domain
from devstack.realtime.assistant.grammar import EXTRA_PRONUNCIATIONS, build_arpa, corpus
from devstack.realtime.speech import OUTPUT_RATE, _resample_linear

DOMAIN = "domain"
GENERAL = "general"
_RATE = 16000  # the acoustic model's sample rate


@dataclass(frozen=True)
class Heard:
    text: str
    model: str  # DOMAIN or GENERAL


class Recognizer:
    """A PocketSphinx decoder with a domain and a general search; thread-safe."""

    def __init__(self, domain: Domain | None = None) -> None:
        from pocketsphinx import Decoder

        self._decoder = Decoder(samprate=_RATE, loglevel="FATAL")
        self._decoder.add_lm_file(GENERAL, self._decoder.config["lm"])
        for word, phones in EXTRA_PRONUNCIATIONS.items():
            if self._decoder.lookup_word(word) is None:
                self._decoder.add_word(word, phones, False)
        self._decoder.add_word("<sil>", "SIL", True) if self._decoder.lookup_word("<sil>") is None else None
        known = {w for w in _vocabulary(domain or load_domain()) if self._decoder.lookup_word(w) is not None}
        arpa = build_arpa(corpus(domain or load_domain()), known)
        with tempfile.TemporaryDirectory(prefix="assistant-lm-") as folder:
            path = Path(folder) / "domain.arpa"
            path.write_text(arpa, encoding="utf-8")
            self._decoder.add_lm_file(DOMAIN, str(path))
        self.vocabulary = known
        self._active = ""
        self._lock = threading.Lock()

    def decode(self, pcm16k: bytes, model: str) -> str:
        """Words in 16 kHz PCM16 audio, with the `model` search."""
        with self._lock:
            if self._active != model:
                self._decoder.activate_search(model)
                self._active = model
            self._decoder.start_utt()
            self._decoder.process_raw(pcm16k, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
        return hyp.hypstr.strip() if hyp is not None else ""

    def transcribe(self, pcm24: bytes, understood: object = None) -> Heard:
        """The domain transcript; the general model's when `understood(text)` says the domain one
        carries no meaning (out-of-domain speech)."""
        audio = _resample_linear(pcm24, OUTPUT_RATE, _RATE)
        text = self.decode(audio, DOMAIN)
        if callable(understood) and not understood(text):
            general = self.decode(audio, GENERAL)
            if general:
                return Heard(general, GENERAL)
        return Heard(text, DOMAIN)


def _vocabulary(domain: Domain) -> set[str]:
    return {word for sentence in corpus(domain) for word in sentence.split()}


@lru_cache(maxsize=1)
def shared_recognizer() -> Recognizer:
    """One recognizer per process: the model is built once, at the first call."""
    return Recognizer()

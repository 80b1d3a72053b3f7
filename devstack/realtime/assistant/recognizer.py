"""Speech-to-text for the offline assistant: PocketSphinx with the domain model, general fallback.

One decoder holds two searches: the domain trigram model built by `grammar.py` (activated first)
and PocketSphinx's bundled general US English model. The general model is used only when the
caller's words fall outside the domain (`Recognizer.transcribe(..., understood=...)` decides), so
in-domain speech costs one decode.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from devstack.realtime.assistant.domain import Domain, load_domain
from devstack.realtime.assistant.grammar import EXTRA_PRONUNCIATIONS, build_arpa, corpus
from devstack.realtime.speech import OUTPUT_RATE, _resample_linear

DOMAIN = "domain"
GENERAL = "general"
_RATE = 16000  # the acoustic model's sample rate
LANGUAGE_WEIGHT = 6.5
_DITHER_SEED = 15  # a fixed dither: the same audio is always heard the same way
_LEAD_IN = b"\0\0" * (_RATE * 3 // 10)  # 300 ms
_SHORT_LEAD_IN = b"\0\0" * (_RATE // 20)  # 50 ms, before a turn shorter than a second
_LEAD_OUT = b"\0\0" * (_RATE // 10)  # 100 ms: more trailing silence gets decoded as a word
_FRAME = _RATE // 50  # 20 ms, in samples
_VOICED_BELOW_PEAK_DB = 35.0  # a frame within this of the loudest one is speech
_VOICED_FLOOR_DBFS = -50.0  # and never quieter than this
_PAD_BEFORE = 5  # 100 ms kept before the speech (the lead-in adds 300 ms)
_PAD_AFTER = 3  # 60 ms after it: trailing silence is decoded as a word ("goodbye" + 0.5 s -> "i")
_NARROW_BELOW_DB = -30.0  # energy above 4 kHz this far below the total: a phone line's band
_FILL_DB = -20.0  # the level of the noise that fills the empty upper band, relative to the speech


def fill_upper_band(pcm16k: bytes) -> bytes:
    """Phone-band speech with low noise in the band the line removed (3.8-7.8 kHz).

    The acoustic model was trained on 16 kHz speech: an upper band with no energy at all is
    further from anything it has heard than a little noise is (`bench.recognition`, 60 phrases on
    the phone band without noise: 29% word errors without the fill, 20% with it). Wideband speech
    is left as it is."""
    x = np.frombuffer(pcm16k, dtype="<i2").astype(np.float64)
    if len(x) < _FRAME:
        return pcm16k
    freqs = np.fft.rfftfreq(len(x), 1 / _RATE)
    power = np.abs(np.fft.rfft(x)) ** 2
    upper = float(power[freqs >= 4000].sum()) / (float(power.sum()) + 1e-9)
    if 10 * np.log10(upper + 1e-12) > _NARROW_BELOW_DB:
        return pcm16k
    noise = np.fft.rfft(np.random.default_rng(len(x)).normal(0, 1, len(x)))  # same audio, same fill
    noise[(freqs < 3800) | (freqs > 7800)] = 0
    fill = np.fft.irfft(noise, len(x))
    fill *= np.sqrt(np.mean(x**2)) * 10 ** (_FILL_DB / 20) / (np.sqrt(np.mean(fill**2)) + 1e-12)
    return np.clip(np.rint(x + fill), -32768, 32767).astype("<i2").tobytes()


_STFT = 512  # 32 ms frames for the noise suppressor
_HOP = 128
_NOISE_QUANTILE = 0.3  # the quietest 30% of frames tell the noise
_OVER_SUBTRACT = 2.0
_GAIN_FLOOR_DB = -15.0
_SILENT_BELOW_DBFS = -65.0  # pauses quieter than this are silence, not noise


def suppress_noise(pcm16k: bytes) -> bytes:
    """Steady background noise taken out (spectral subtraction, noise told by the quietest frames).

    A committed turn holds the pauses around the speech, and on a noisy line they are the noise
    alone. PocketSphinx's own noise removal leaves much of a 20 dB hiss: on the phone band at 20 dB
    SNR this takes word errors from 32% to 23% (`bench.recognition`, 60 phrases). A turn whose
    pauses are silent is left as it is (there, subtraction would only eat quiet speech)."""
    x = np.frombuffer(pcm16k, dtype="<i2").astype(np.float64)
    if len(x) < 4 * _STFT:
        return pcm16k
    window = np.hanning(_STFT + 1)[:-1]
    padded = np.concatenate([np.zeros(_STFT), x, np.zeros(_STFT)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, _STFT)[::_HOP] * window
    spectra = np.fft.rfft(frames, axis=1)
    power = np.abs(spectra) ** 2
    energy = power.sum(axis=1)
    quiet = energy <= np.quantile(energy, _NOISE_QUANTILE)
    floor = float(energy[quiet].mean()) / float(np.sum(window**2)) / 32768.0**2  # mean square, full scale = 1
    if 10 * np.log10(floor + 1e-20) < _SILENT_BELOW_DBFS:
        return pcm16k  # the pauses are silence: nothing to take out
    noise = power[quiet].mean(axis=0)
    gain = np.sqrt(np.maximum(1 - _OVER_SUBTRACT * noise / (power + 1e-12), 10 ** (_GAIN_FLOOR_DB / 10)))
    cleaned = np.fft.irfft(spectra * gain, _STFT, axis=1) * window
    out = np.zeros(len(padded))
    weight = np.zeros(len(padded))
    for i, frame in enumerate(cleaned):  # overlap-add
        out[i * _HOP : i * _HOP + _STFT] += frame
        weight[i * _HOP : i * _HOP + _STFT] += window**2
    y = (out / np.maximum(weight, 1e-9))[_STFT : _STFT + len(x)]
    return np.clip(np.rint(y), -32768, 32767).astype("<i2").tobytes()


def prepare(pcm24: bytes) -> bytes:
    """A committed turn (24 kHz PCM16) as the decoder takes it."""
    return condition(_resample_linear(pcm24, OUTPUT_RATE, _RATE))


def condition(pcm16k: bytes) -> bytes:
    """Steady noise suppressed, the voiced span kept, the upper band filled if a phone line emptied it."""
    return fill_upper_band(voiced_span(suppress_noise(pcm16k)))


def voiced_span(pcm16k: bytes) -> bytes:
    """The audio from just before the first voiced frame to just after the last one.

    A committed turn holds everything since the previous one (seconds of silence while the agent
    spoke); PocketSphinx normalises features over the whole utterance, so a short word in a long
    silence ("goodbye" after 3 s) is misheard. The Realtime service also keeps only the speech and
    its prefix padding."""
    x = np.frombuffer(pcm16k, dtype="<i2").astype(np.float64)
    frames = len(x) // _FRAME
    if frames == 0:
        return pcm16k
    rms = np.sqrt(np.mean(x[: frames * _FRAME].reshape(frames, _FRAME) ** 2, axis=1)) + 1e-9
    level = 20 * np.log10(rms / 32768)
    voiced = np.flatnonzero(level >= max(_VOICED_FLOOR_DBFS, float(level.max()) - _VOICED_BELOW_PEAK_DB))
    if voiced.size == 0:
        return pcm16k
    first = max(0, int(voiced[0]) - _PAD_BEFORE) * _FRAME
    last = min(len(x), (int(voiced[-1]) + 1 + _PAD_AFTER) * _FRAME)
    return pcm16k[first * 2 : last * 2]


@dataclass(frozen=True)
class Heard:
    text: str
    model: str  # DOMAIN or GENERAL


class Recognizer:
    """A PocketSphinx decoder with a domain and a general search; thread-safe."""

    def __init__(self, domain: Domain | None = None) -> None:
        from pocketsphinx import Decoder

        self._decoder = Decoder(samprate=_RATE, loglevel="FATAL", lw=LANGUAGE_WEIGHT, dither=True, seed=_DITHER_SEED)
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
            # Lead-in silence lets the feature normalisation settle before the first word (without
            # it, first words are lost), but in a word said alone ("no") it outweighs the speech in
            # that normalisation and the word is lost instead. Dither keeps silence from being log(0).
            lead_in = _LEAD_IN if len(pcm16k) >= 2 * _RATE else _SHORT_LEAD_IN
            self._decoder.process_raw(lead_in + pcm16k + _LEAD_OUT, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
        return hyp.hypstr.strip() if hyp is not None else ""

    def transcribe(self, pcm24: bytes, understood: Callable[[str], bool] | None = None) -> Heard:
        """The domain transcript; the general model's when `understood(text)` says the domain one
        carries no meaning (out-of-domain speech)."""
        audio = prepare(pcm24)
        text = self.decode(audio, DOMAIN)
        if understood is not None and not understood(text):
            general = self.decode(audio, GENERAL)
            if general:
                return Heard(general, GENERAL)
        return Heard(text, DOMAIN)


def _vocabulary(domain: Domain) -> set[str]:
    return {word for sentence in corpus(domain) for word in sentence.split()}


_WORKER: Recognizer | None = None  # the recognizer of a pool worker process


def _start_worker(parent: int) -> None:
    global _WORKER
    _WORKER = Recognizer()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A killed simulator cannot shut its pool down: workers leave when their parent is gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _decode_in_worker(pcm16k: bytes, model: str) -> str:
    assert _WORKER is not None
    return _WORKER.decode(pcm16k, model)


class RecognizerPool:
    """Recognizers in worker processes: PocketSphinx holds the GIL while it decodes, which would
    stall every other session's audio in the simulator; processes also decode calls in parallel."""

    def __init__(self, workers: int = 2) -> None:
        self._pool = ProcessPoolExecutor(
            workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(os.getpid(),)
        )
        # Build every worker's model now (start-up), not on the first caller's turn.
        for future in [self._pool.submit(_decode_in_worker, b"\0\0" * 1600, DOMAIN) for _ in range(workers)]:
            future.result()

    def transcribe(self, pcm24: bytes, understood: Callable[[str], bool] | None = None) -> Heard:
        """As `Recognizer.transcribe`, decoded in a worker process."""
        audio = prepare(pcm24)
        text = self._pool.submit(_decode_in_worker, audio, DOMAIN).result()
        if understood is not None and not understood(text):
            general = self._pool.submit(_decode_in_worker, audio, GENERAL).result()
            if general:
                return Heard(general, GENERAL)
        return Heard(text, DOMAIN)


@lru_cache(maxsize=1)
def shared_recognizer() -> RecognizerPool:
    """The process's recognizers, started once (the simulator starts them at start-up)."""
    return RecognizerPool()

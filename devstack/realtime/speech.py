"""Offline speech for the simulator: eSpeak NG text-to-speech (speech-to-text is the assistant's
recognizer, `assistant/recognizer.py`).

eSpeak NG comes from the `espeakng-loader` wheel (library + voice data): nothing is downloaded at
run time. It is a synchronous C library with global state, so calls are serialised with a lock and
run off the event loop by the caller (`asyncio.to_thread`).
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

import numpy as np

OUTPUT_RATE = 24000
_ESPEAK_RETRIEVAL = 1  # AUDIO_OUTPUT_RETRIEVAL: samples come back through the synth callback
_ESPEAK_CHARS_UTF8 = 1
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
# eSpeak NG is one library per process with one global voice, synth callback and output state: every
# call into it, from any Speaker, holds this lock. Per-instance locks let two calls' speech interleave
# (one caller's words in another call's audio) or deadlock the library.
_ESPEAK_LOCK = threading.RLock()


def _resample_linear(pcm: bytes, rate_in: int, rate_out: int) -> bytes:
    """Good enough for synthetic speech and ASR input; the bridge has the careful resampler."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if len(x) == 0 or rate_in == rate_out:
        return pcm
    n = int(len(x) * rate_out / rate_in)
    y = np.interp(np.arange(n) * rate_in / rate_out, np.arange(len(x)), x)
    return np.clip(np.rint(y), -32768, 32767).astype("<i2").tobytes()


# eSpeak NG's US English with a Klatt formant variant: of the voices `bench.recognition` measured,
# the one PocketSphinx hears best (wideband, 40 phrases: 8% word errors against 17% for the plain
# `en-us`), so simulated callers sound clear to the offline assistant.
VOICE = "en-us+klatt3"
WORDS_PER_MINUTE = 175


class Speaker:
    """eSpeak NG through ctypes; `synthesize` returns 24 kHz PCM16 mono."""

    def __init__(self, voice: str = VOICE, words_per_minute: int = WORDS_PER_MINUTE) -> None:
        import espeakng_loader

        self._lock = _ESPEAK_LOCK
        self._chunks: list[bytes] = []
        with self._lock:
            self._load(voice, words_per_minute, espeakng_loader)

    def _load(self, voice: str, words_per_minute: int, espeakng_loader: Any) -> None:
        lib = ctypes.CDLL(str(espeakng_loader.get_library_path()))
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._rate = lib.espeak_Initialize(_ESPEAK_RETRIEVAL, 0, str(espeakng_loader.get_data_path()).encode(), 0)
        if self._rate <= 0:
            raise RuntimeError("eSpeak NG failed to initialise")
        self._callback = _SYNTH_CALLBACK(self._collect)  # kept referenced: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._lib = lib
        self._set(voice, words_per_minute)

    def configure(self, voice: str, words_per_minute: int) -> None:
        """Change voice and speaking rate (benchmarks speak with several)."""
        with self._lock:
            self._set(voice, words_per_minute)

    def _set(self, voice: str, words_per_minute: int) -> None:
        # An unknown name leaves the previous voice on: refuse it, or a benchmark measures the wrong voice.
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice!r}")
        self._lib.espeak_SetParameter(1, words_per_minute, 0)  # espeakRATE

    def _collect(self, wav: Any, samples: int, events: Any) -> int:
        if samples > 0:
            self._chunks.append(ctypes.string_at(wav, samples * 2))
        return 0

    def synthesize(self, text: str) -> bytes:
        """Speak `text`; returns 24 kHz PCM16 mono."""
        data = text.encode("utf-8") + b"\0"
        with self._lock:
            # The library's callback is global: point it at this instance for the duration.
            self._lib.espeak_SetSynthCallback(self._callback)
            self._chunks = []
            self._lib.espeak_Synth(
                ctypes.c_char_p(data),
                ctypes.c_size_t(len(data)),
                ctypes.c_uint(0),
                ctypes.c_int(0),
                ctypes.c_uint(0),
                ctypes.c_uint(_ESPEAK_CHARS_UTF8),
                None,
                None,
            )
            self._lib.espeak_Synchronize()
            pcm = b"".join(self._chunks)
        return _resample_linear(pcm, self._rate, OUTPUT_RATE)


_SHARED: dict[str, Any] = {}
_SHARED_LOCK = threading.Lock()


def shared_speaker() -> Speaker:
    """One eSpeak instance per process (the library keeps global state). Created under a lock:
    `lru_cache` lets two threads' first calls each build one, and two instances share one library."""
    with _SHARED_LOCK:
        if "speaker" not in _SHARED:
            _SHARED["speaker"] = Speaker()
        speaker: Speaker = _SHARED["speaker"]
        return speaker


def tone_voice(text: str, ms_per_char: int = 60) -> bytes:
    """Deterministic stand-in speech: a two-tone signal, `ms_per_char` per character of `text`.

    For tests that need exact durations and for machines without eSpeak NG; it is still audio
    (-12 dBFS), so every byte counts when checking that nothing was lost on the way.
    """
    samples = OUTPUT_RATE * ms_per_char * max(1, len(text)) // 1000
    t = np.arange(samples) / OUTPUT_RATE
    wave = 0.125 * np.sin(2 * np.pi * 220 * t) + 0.125 * np.sin(2 * np.pi * 330 * t)
    return np.rint(wave * 32767).astype("<i2").tobytes()


def espeak_voice(text: str) -> bytes:
    """eSpeak NG speech (24 kHz PCM16)."""
    return shared_speaker().synthesize(text)

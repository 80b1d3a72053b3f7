"""The recognizer's front end: line noise taken out, an empty upper band filled, clean audio untouched."""

from __future__ import annotations

import numpy as np

from devstack.realtime.assistant.recognizer import fill_upper_band, suppress_noise

RATE = 16000


def _tones(*hz: float, seconds: float = 0.5) -> bytes:
    t = np.arange(int(RATE * seconds)) / RATE
    x = sum(np.sin(2 * np.pi * f * t) for f in hz) * 3000
    return np.asarray(x).astype("<i2").tobytes()


def _upper_share(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    power = np.abs(np.fft.rfft(x)) ** 2
    return float(power[np.fft.rfftfreq(len(x), 1 / RATE) >= 4000].sum() / power.sum())


def test_phone_band_speech_gets_low_noise_above_four_kilohertz() -> None:
    narrow = _tones(500, 1200, 3000)
    filled = fill_upper_band(narrow)
    assert _upper_share(narrow) < 1e-4
    assert 1e-3 < _upper_share(filled) < 0.05  # about 20 dB below the speech


def test_wideband_speech_is_left_as_it_is() -> None:
    wide = _tones(500, 1200, 5500)
    assert fill_upper_band(wide) == wide


def test_the_fill_is_the_same_for_the_same_audio() -> None:
    narrow = _tones(700, 2500)
    assert fill_upper_band(narrow) == fill_upper_band(narrow)


def test_audio_shorter_than_a_frame_passes_through() -> None:
    assert fill_upper_band(b"\x01\x00" * 10) == b"\x01\x00" * 10


def _noisy_turn(noise_rms: float) -> bytes:
    """A second of pause, half a second of tone, a second of pause, with steady noise throughout."""
    rng = np.random.default_rng(3)
    tone = np.frombuffer(_tones(600, 1400), dtype="<i2").astype(np.float64)
    x = np.concatenate([np.zeros(RATE), tone, np.zeros(RATE)]) + rng.normal(0, noise_rms, 2 * RATE + len(tone))
    return np.clip(np.rint(x), -32768, 32767).astype("<i2").tobytes()


def _rms(pcm: bytes, start: float, end: float) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)[int(start * RATE) : int(end * RATE)]
    return float(np.sqrt(np.mean(x**2)))


def test_steady_noise_in_the_pauses_is_taken_out_and_the_speech_kept() -> None:
    noisy = _noisy_turn(noise_rms=300.0)
    cleaned = suppress_noise(noisy)
    assert _rms(cleaned, 0.2, 0.8) < _rms(noisy, 0.2, 0.8) / 2  # the pause: noise down by 6 dB or more
    assert _rms(cleaned, 1.1, 1.4) > 0.8 * _rms(noisy, 1.1, 1.4)  # the tone: kept


def test_a_turn_with_silent_pauses_is_left_as_it_is() -> None:
    clean = _noisy_turn(noise_rms=0.0)
    assert suppress_noise(clean) == clean

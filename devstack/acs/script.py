"""What a simulated phone says: a caller (or callee) script, validated, and its audio.

A script is a JSON list of steps, played in order while the call is connected:

    {"say": "I want to check my bill"}      speech (eSpeak NG, or a tone stand-in with voice "tone")
    {"silence": 1.5}                          seconds of silence
    {"wav": "/path/to/file.wav"}              a PCM16 WAV (mono or stereo, any rate; resampled)
    {"dtmf": "12#"}                           key presses, sent as DtmfData messages
    {"wait_for_agent": 10}                    wait until the agent has spoken and gone quiet (<= N s)
    {"wait_for_agent": {"seconds": 20, "quiet_seconds": 3}}
                                              ... where quiet means silent for that long (default 0.7 s):
                                              a caller who heard "let me check" waits for the answer
    {"hangup": true}                          hang up now

Between steps the phone sends silence, like a real handset. Limits keep every script bounded.
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

MAX_STEPS = 200
MAX_TEXT_CHARS = 2000
MAX_SILENCE_SECONDS = 600.0
MAX_WAIT_SECONDS = 600.0
MAX_QUIET_SECONDS = 60.0
MAX_WAV_SECONDS = 600.0
DTMF_KEYS = frozenset("0123456789*#ABCD")
RATE = 24000


class ScriptError(ValueError):
    """A script step is malformed; the message names the step."""


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Silence:
    seconds: float


@dataclass(frozen=True)
class PlayWav:
    path: Path


@dataclass(frozen=True)
class Dtmf:
    digits: str


@dataclass(frozen=True)
class WaitForAgent:
    timeout_seconds: float
    quiet_ms: int = 700


@dataclass(frozen=True)
class HangUp:
    pass


Step = Say | Silence | PlayWav | Dtmf | WaitForAgent | HangUp


def _seconds(value: Any, where: str, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= limit:
        raise ScriptError(f"{where}: expected a number of seconds between 0 and {limit:g}")
    return float(value)


def _wait_for_agent(value: Any, where: str) -> WaitForAgent:
    if not isinstance(value, dict):
        return WaitForAgent(_seconds(value, where, MAX_WAIT_SECONDS))
    if "seconds" not in value or not set(value) <= {"seconds", "quiet_seconds"}:
        raise ScriptError(f"{where}: 'wait_for_agent' takes seconds or {{'seconds', 'quiet_seconds'}}")
    quiet = _seconds(value.get("quiet_seconds", WaitForAgent.quiet_ms / 1000), where, MAX_QUIET_SECONDS)
    return WaitForAgent(_seconds(value["seconds"], where, MAX_WAIT_SECONDS), round(quiet * 1000))


def _parse_step(raw: Any, index: int) -> Step:
    where = f"script step {index}"
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ScriptError(f"{where}: expected an object with exactly one of say/silence/wav/dtmf/wait_for_agent/hangup")
    ((kind, value),) = raw.items()
    if kind == "say":
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_CHARS:
            raise ScriptError(f"{where}: 'say' needs non-empty text of at most {MAX_TEXT_CHARS} characters")
        return Say(value.strip())
    if kind == "silence":
        return Silence(_seconds(value, where, MAX_SILENCE_SECONDS))
    if kind == "wav":
        if not isinstance(value, str) or not Path(value).is_file():
            raise ScriptError(f"{where}: 'wav' must be the path of an existing WAV file")
        return PlayWav(Path(value))
    if kind == "dtmf":
        if not isinstance(value, str) or not value or len(value) > 32 or not set(value) <= DTMF_KEYS:
            raise ScriptError(f"{where}: 'dtmf' must be 1-32 keys from 0-9, *, #, A-D")
        return Dtmf(value)
    if kind == "wait_for_agent":
        return _wait_for_agent(value, where)
    if kind == "hangup":
        if value is not True:
            raise ScriptError(f"{where}: 'hangup' must be true")
        return HangUp()
    raise ScriptError(f"{where}: unknown step kind {kind!r}")


def parse_script(raw: Any) -> tuple[Step, ...]:
    """Validate a JSON script (a list of steps; a bare string is shorthand for one `say`).

    Raises:
        ScriptError: not a list, too long, or a step is malformed.
    """
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [{"say": raw}]
    if not isinstance(raw, list) or len(raw) > MAX_STEPS:
        raise ScriptError(f"script must be a list of at most {MAX_STEPS} steps")
    return tuple(_parse_step(step, i) for i, step in enumerate(raw))


def resample(pcm: bytes, rate_in: int, rate_out: int) -> bytes:
    """Band-limited (FFT) resampling of PCM16 mono: going down, what lies above the new Nyquist
    frequency is dropped instead of folding back as noise (a phone line never aliases speech)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if rate_in == rate_out or samples.size == 0:
        return pcm
    count = int(samples.size * rate_out / rate_in)
    spectrum = np.fft.rfft(samples)
    kept = np.zeros(count // 2 + 1, dtype=complex)
    width = min(kept.size, spectrum.size)
    kept[:width] = spectrum[:width]
    out = np.fft.irfft(kept, count) * count / samples.size
    return np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()


def read_wav(source: Path | BinaryIO, rate: int = RATE) -> bytes:
    """A PCM16 WAV (a path or an open binary file) as mono PCM16 at `rate` (stereo is averaged).

    Raises:
        ScriptError: not a 16-bit PCM WAV, or longer than the limit.
    """
    name = source.name if isinstance(source, Path) else "played file"
    try:
        with wave.open(str(source) if isinstance(source, Path) else source, "rb") as wav:
            channels, width, src_rate, frames = (
                wav.getnchannels(),
                wav.getsampwidth(),
                wav.getframerate(),
                wav.getnframes(),
            )
            if width != 2 or channels not in (1, 2):
                raise ScriptError(f"{name}: only 16-bit mono or stereo PCM WAV files are supported")
            if frames > MAX_WAV_SECONDS * src_rate:
                raise ScriptError(f"{name}: longer than {MAX_WAV_SECONDS:g} s")
            data = wav.readframes(frames)
    except (wave.Error, EOFError, OSError) as exc:
        raise ScriptError(f"{name}: not a readable WAV file ({exc})") from None
    if channels == 2:
        stereo = np.frombuffer(data, dtype="<i2").reshape(-1, 2).astype(np.int32)
        data = (stereo.sum(axis=1) // 2).astype("<i2").tobytes()
    return resample(data, src_rate, rate)


def write_wav(path: Path, pcm: bytes, rate: int = RATE, channels: int = 1) -> None:
    """Write PCM16 little-endian samples as a WAV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)


Voice = Callable[[str], bytes]


def voice_named(name: str) -> Voice:
    """The speech engine for `say` steps and played text: "espeak" (eSpeak NG) or "tone" (exact durations).

    Reuses the Realtime simulator's helpers so both simulators sound the same.
    """
    from devstack.realtime.speech import espeak_voice, tone_voice

    if name == "espeak":
        return espeak_voice
    if name == "tone":
        return tone_voice
    raise ValueError(f"unknown voice {name!r}; expected 'espeak' or 'tone'")

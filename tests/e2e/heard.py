"""What a simulated caller heard: agent speech found in the ACS simulator's `-heard.wav`.

With the Realtime simulator's tone voice every agent line is a tone of exactly 60 ms per
character, so the speech a caller heard can be checked against the transcript to the frame:
audio lost on the way (a dropped model session, a drained bridge) shows up as missing time.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

MS_PER_CHAR = 60  # devstack.realtime.speech.tone_voice
FRAME_MS = 20
_LOUD = 300  # tone peaks are ~8,000; silence frames are exact zeros


def speech_frames(path: str | Path) -> np.ndarray:
    """One bool per 20 ms frame of the recording: did the caller hear agent audio in it."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        if wav.getnchannels() > 1:
            pcm = pcm.reshape(-1, wav.getnchannels())[:, -1]
    frame = rate * FRAME_MS // 1000
    usable = len(pcm) // frame * frame
    return np.abs(pcm[:usable].reshape(-1, frame).astype(np.int32)).max(axis=1) > _LOUD


def heard_seconds(path: str | Path) -> float:
    """Total agent speech the caller heard."""
    return float(speech_frames(path).sum()) * FRAME_MS / 1000


def spoken_seconds(lines: list[str]) -> float:
    """How long the tone voice takes to say `lines`."""
    return sum(MS_PER_CHAR * max(1, len(line)) for line in lines) / 1000

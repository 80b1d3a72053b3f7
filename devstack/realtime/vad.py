"""Energy-based server VAD for the simulator: deterministic, so tests can rely on it.

Audio is cut into 20 ms windows; a window is voiced when its RMS is above the threshold. Speech
starts after `start_windows` voiced windows in a row and stops after `silence_duration_ms` of
unvoiced windows. Positions are milliseconds of audio appended since the session started, which is
what the Realtime API reports in `audio_start_ms` / `audio_end_ms`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RATE = 24000
WINDOW_SAMPLES = RATE // 50  # 20 ms
WINDOW_MS = 20


def threshold_dbfs(threshold: float) -> float:
    """Map the API's 0..1 `threshold` onto an energy level: 0.5 (the default) is -40 dBFS."""
    return -60.0 + 40.0 * min(max(threshold, 0.0), 1.0)


@dataclass(frozen=True)
class VadEvent:
    """A change of speaking state at `ms`."""

    started: bool
    ms: int


class EnergyVad:
    """Feeds on PCM16 at 24 kHz, returns speech start/stop events."""

    def __init__(self, threshold: float = 0.5, silence_duration_ms: int = 500, start_windows: int = 2) -> None:
        level = 10 ** (threshold_dbfs(threshold) / 20) * 32768
        self._min_square = level * level  # mean square of a voiced window
        self._silence_windows = max(1, math.ceil(silence_duration_ms / WINDOW_MS))
        self._start_windows = start_windows
        self._pending = np.zeros(0, dtype=np.int16)  # samples not yet forming a full window
        self._position = 0  # windows processed so far
        self.speaking = False
        self._run = 0  # consecutive windows contradicting the current state

    def feed(self, pcm: bytes) -> list[VadEvent]:
        samples = np.concatenate((self._pending, np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")))
        whole = len(samples) // WINDOW_SAMPLES
        self._pending = samples[whole * WINDOW_SAMPLES :]
        if whole == 0:
            return []
        windows = samples[: whole * WINDOW_SAMPLES].astype(np.float64).reshape(whole, WINDOW_SAMPLES)
        voiced = (windows * windows).mean(axis=1) >= self._min_square
        events: list[VadEvent] = []
        for is_voiced in voiced:
            self._position += 1
            if is_voiced != self.speaking:
                self._run += 1
                needed = self._start_windows if not self.speaking else self._silence_windows
                if self._run >= needed:
                    self.speaking = not self.speaking
                    # Start: where the voiced run began. Stop: where the silence began.
                    events.append(VadEvent(self.speaking, (self._position - self._run) * WINDOW_MS))
                    self._run = 0
            else:
                self._run = 0
        return events

    def reset(self) -> None:
        """Forget partial state (input_audio_buffer.clear)."""
        self._pending = np.zeros(0, dtype=np.int16)
        self.speaking = False
        self._run = 0

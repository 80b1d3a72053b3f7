"""Streaming rational resampling of PCM16 mono (16 kHz <-> 24 kHz) with numpy.

The model speaks 24 kHz only; ACS may stream 16 kHz. A polyphase windowed-sinc filter runs over
the stream with its history kept between calls, so the output of frame-by-frame processing is
identical to processing the whole signal at once: no clicks at frame edges, whatever the chunk size.
"""

from __future__ import annotations

from math import gcd

import numpy as np
import numpy.typing as npt

_TAPS_PER_PHASE = 16


def _design(up: int, down: int, taps_per_phase: int) -> npt.NDArray[np.float64]:
    """Low-pass FIR at the up-sampled rate, cut at 90% of the lower Nyquist, split into phases."""
    length = up * taps_per_phase
    cutoff = 0.9 / max(up, down)  # as a fraction of the up-sampled Nyquist
    n = np.arange(length) - (length - 1) / 2
    h = cutoff * np.sinc(cutoff * n) * np.kaiser(length, 8.0)
    h *= up / h.sum()  # unity DC gain after zero-stuffing by `up`
    # phases[p, k] = h[p + k*up]: the coefficients applied to x[i - k] for output phase p.
    return np.ascontiguousarray(h.reshape(taps_per_phase, up).T)


class Resampler:
    """Converts a PCM16 stream from `rate_in` to `rate_out`; feed it any chunk sizes."""

    def __init__(self, rate_in: int, rate_out: int, taps_per_phase: int = _TAPS_PER_PHASE) -> None:
        g = gcd(rate_in, rate_out)
        self.up = rate_out // g  # interpolation factor
        self.down = rate_in // g  # decimation factor
        self._phases = _design(self.up, self.down, taps_per_phase)
        self._taps = taps_per_phase
        # The last `taps - 1` input samples: the filter state carried across chunks.
        self._history = np.zeros(taps_per_phase - 1, dtype=np.float64)
        self._consumed = 0  # input samples seen so far
        self._produced = 0  # output samples emitted so far

    def process(self, pcm: bytes) -> bytes:
        """Resample one chunk; returns every output sample the input seen so far determines."""
        if len(pcm) % 2:
            raise ValueError("PCM16 input must have an even number of bytes")
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        buf = np.concatenate((self._history, x))
        offset = self._consumed - len(self._history)  # global index of buf[0]
        self._consumed += len(x)
        # Output j sits at up-sampled position j*down: input index i = (j*down)//up, phase (j*down)%up.
        last = (self._consumed * self.up - 1) // self.down  # last output whose input index is known
        js = np.arange(self._produced, last + 1)
        if len(js) == 0:
            self._history = buf[-(self._taps - 1) :]
            return b""
        pos = js * self.down
        idx = (pos // self.up - offset)[:, None] - np.arange(self._taps)[None, :]
        y = np.einsum("ij,ij->i", buf[idx], self._phases[pos % self.up])
        self._produced = int(js[-1]) + 1
        self._history = buf[-(self._taps - 1) :]
        return bytes(np.clip(np.rint(y), -32768, 32767).astype("<i2").tobytes())

"""Audio of the simulator's WebRTC transport: the agent's voice as a track, the caller's track as PCM.

The conversation engine speaks and hears 24 kHz PCM16 mono, the rate of the Realtime API's
`audio/pcm` format. WebRTC carries Opus at 48 kHz: `AgentVoiceTrack` upsamples each audio item with
libswresample (through PyAV) and plays it in real time, 20 ms per frame, and `CallerAudio` turns the
decoded frames of the browser's microphone back into 24 kHz mono. aiortc does the Opus part.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

ENGINE_RATE = 24000  # the engine's PCM16 mono
WIRE_RATE = 48000  # what the Opus track carries
FRAME_SAMPLES = WIRE_RATE // 50  # 20 ms
_WIRE_BYTES_PER_MS = WIRE_RATE * 2 // 1000
_TIME_BASE = fractions.Fraction(1, WIRE_RATE)

# (event, response_id): "started" when a response's audio begins playing, "stopped" once it has all played.
PlaybackListener = Callable[[str, str], None]


def _pcm_frame(pcm: bytes, rate: int) -> av.AudioFrame:
    samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate = rate
    return frame


def _resampled(resampler: av.AudioResampler, frame: av.AudioFrame | None) -> bytes:
    return b"".join(bytes(out.to_ndarray().tobytes()) for out in resampler.resample(frame))


@dataclass
class _Chunk:
    """48 kHz audio of one assistant item waiting to be played."""

    response_id: str
    item_id: str
    pcm: bytearray
    last: bool = False  # the item's audio ends with this chunk


class AgentVoiceTrack(MediaStreamTrack):
    """The agent's voice: 48 kHz frames paced in real time; silence between responses."""

    kind = "audio"

    def __init__(self, on_playback: PlaybackListener) -> None:
        super().__init__()
        self._on_playback = on_playback
        self._queue: deque[_Chunk] = deque()  # audio not yet played, in order
        self._resamplers: dict[str, av.AudioResampler] = {}  # item id -> its 24k -> 48k resampler
        self._playing = ""  # response id whose audio is on the wire ("" when silent)
        self.played_ms: dict[str, int] = {}  # item id -> milliseconds actually played
        self._start: float | None = None  # monotonic time of the first frame
        self._pts = 0  # samples sent so far

    def push(self, response_id: str, item_id: str, pcm24: bytes) -> None:
        """Queue a piece of an item's audio (`response.output_audio.delta`)."""
        resampler = self._resamplers.get(item_id)
        if resampler is None:
            resampler = self._resamplers[item_id] = av.AudioResampler(format="s16", layout="mono", rate=WIRE_RATE)
        self._append(response_id, item_id, _resampled(resampler, _pcm_frame(pcm24, ENGINE_RATE)))

    def finish(self, response_id: str, item_id: str) -> None:
        """The item's audio is complete (`response.output_audio.done`): flush its resampler."""
        resampler = self._resamplers.pop(item_id, None)
        tail = _resampled(resampler, None) if resampler is not None else b""
        self._append(response_id, item_id, tail, last=True)

    def end_response(self, response_id: str) -> None:
        """`response.done`: a cancelled response never finishes its items, so close them here."""
        for chunk in self._queue:
            if chunk.response_id == response_id and not chunk.last:
                resampler = self._resamplers.pop(chunk.item_id, None)
                if resampler is not None:
                    chunk.pcm += _resampled(resampler, None)
                chunk.last = True

    def clear(self) -> tuple[str, str] | None:
        """Drop everything not yet played; returns (response id, item id) of the audio cut off, if any."""
        cut = (self._queue[0].response_id, self._queue[0].item_id) if self._queue else None
        self._queue.clear()
        self._resamplers.clear()
        self._playing = ""
        return cut

    def _append(self, response_id: str, item_id: str, pcm: bytes, last: bool = False) -> None:
        tail = self._queue[-1] if self._queue else None
        if tail is not None and tail.item_id == item_id and not tail.last:
            tail.pcm += pcm
            tail.last = last
        else:
            self._queue.append(_Chunk(response_id, item_id, bytearray(pcm), last))

    def _next_frame_pcm(self) -> bytes:
        """20 ms of audio: queued speech, padded with silence."""
        want = FRAME_SAMPLES * 2
        out = bytearray()
        while self._queue and len(out) < want:
            chunk = self._queue[0]
            if chunk.response_id != self._playing:
                self._playing = chunk.response_id
                self._on_playback("started", chunk.response_id)
            take = chunk.pcm[: want - len(out)]
            del chunk.pcm[: len(take)]
            out += take
            self.played_ms[chunk.item_id] = self.played_ms.get(chunk.item_id, 0) + len(take) // _WIRE_BYTES_PER_MS
            if chunk.pcm:
                break  # the frame is full
            if not chunk.last:
                break  # underrun: the item's next delta has not arrived yet, pad with silence
            self._queue.popleft()
            if not self._queue or self._queue[0].response_id != chunk.response_id:
                self._playing = ""
                self._on_playback("stopped", chunk.response_id)
        return bytes(out) + bytes(want - len(out))

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            delay = self._start + self._pts / WIRE_RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        frame = _pcm_frame(self._next_frame_pcm(), WIRE_RATE)
        frame.pts = self._pts
        frame.time_base = _TIME_BASE
        self._pts += FRAME_SAMPLES
        return frame


class CallerAudio:
    """Converts decoded microphone frames (any layout and rate) into 24 kHz PCM16 mono."""

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=ENGINE_RATE)

    def convert(self, frame: av.AudioFrame) -> bytes:
        frame.pts = None  # aiortc's RTP timestamps jump on packet loss; the resampler needs none
        return _resampled(self._resampler, frame)

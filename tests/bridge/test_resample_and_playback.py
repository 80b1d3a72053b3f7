"""Resampling quality across frame edges, and paced playback with position tracking."""

from __future__ import annotations

import asyncio
import base64
import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.pacer import Pacer
from bridge.playback import Playback
from bridge.resample import Resampler


def sine(rate: int, seconds: float, freq: float = 440.0, amplitude: float = 8000.0) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amplitude * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=900), min_size=1, max_size=30),
    st.sampled_from([(16000, 24000), (24000, 16000)]),
)
def test_chunked_resampling_equals_whole_signal_resampling(cuts: list[int], rates: tuple[int, int]) -> None:
    """Filter state carries across chunks: no edge effects, whatever the chunk sizes."""
    signal = sine(rates[0], 0.5)
    whole = Resampler(*rates).process(signal)
    chunked, pos, resampler = [], 0, Resampler(*rates)
    for cut in cuts:
        chunked.append(resampler.process(signal[pos : pos + cut * 2]))
        pos += cut * 2
    chunked.append(resampler.process(signal[pos:]))
    assert b"".join(chunked) == whole


def test_upsampled_frames_have_no_clicks_at_frame_edges() -> None:
    resampler = Resampler(16000, 24000)
    frames = sine(16000, 1.0, freq=1000)
    out = b"".join(resampler.process(frames[i : i + 640]) for i in range(0, len(frames), 640))
    y = np.frombuffer(out, dtype="<i2").astype(float)
    assert len(y) == 24000
    # A clean 1 kHz sine at 24 kHz changes by at most 2*pi*1000/24000*8000 ~ 2094 per sample.
    steps = np.abs(np.diff(y[100:]))
    assert steps.max() < 2150
    spectrum = np.abs(np.fft.rfft(y[1000:23000] * np.hanning(22000)))
    freqs = np.fft.rfftfreq(22000, 1 / 24000)
    assert abs(freqs[spectrum.argmax()] - 1000) < 2
    assert spectrum[freqs > 8000].max() < spectrum.max() * 1e-3  # no imaging above the 16 kHz band


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_playback_rechunks_paces_and_tracks_the_played_position() -> None:
    sent: list[str] = []
    clock = FakeClock()
    playback = Playback(sent.append, 24000, clock=clock)
    playback.enqueue("item-1", bytes(960 * 10 + 100))  # 10 frames and a bit, in one delta
    assert playback.queued_ms == 200
    playback.finish_item("item-1")  # the partial frame is padded and queued
    assert playback.queued_ms == 220
    assert playback.pump() is True  # frames are left waiting for their time
    assert len(sent) == 3  # one playing + the 40 ms lead; the rest waits for playback to advance
    clock.now = 0.030
    playback.pump()
    assert len(sent) == 4
    cut = playback.interrupt()
    # 80 ms sent since t=0, ACS plays back to back: at t=30 ms the caller has heard 30 ms.
    assert [c.item_id for c in cut] == ["item-1"] and cut[0].played_ms == 30
    assert playback.queued_ms == 0 and not playback.is_speaking()
    assert playback.pump() is False
    playback.enqueue("item-1", bytes(960))  # late deltas of a cut item are dropped
    assert playback.queued_ms == 0
    assert all(len(base64.b64decode(json.loads(m)["audioData"]["data"])) == 960 for m in sent)


def test_playback_sends_one_frame_per_twenty_milliseconds_of_its_clock() -> None:
    sent: list[str] = []
    clock = FakeClock()
    playback = Playback(sent.append, 16000, clock=clock)
    playback.enqueue("a", bytes(960 * 10))  # 200 ms at 24 kHz -> 640-byte frames at 16 kHz
    playback.pump()
    assert len(sent) == 3  # the first frame and the 40 ms lead go at once
    for expected in (4, 5, 6):
        clock.now += 0.02
        playback.pump()
        playback.pump()  # pumping again before the clock moves sends nothing more
        assert len(sent) == expected
    assert all(len(base64.b64decode(json.loads(m)["audioData"]["data"])) == 640 for m in sent)


async def test_pacer_sends_waiting_frames_on_time_and_forgets_playbacks_with_nothing_left() -> None:
    sent: dict[str, list[str]] = {"a": [], "b": []}
    clock = FakeClock()
    pacer = Pacer(tick_ms=1)
    playbacks = {name: Playback(sent[name].append, 24000, clock=clock) for name in sent}
    for name, playback in playbacks.items():
        playback.enqueue(name, bytes(960 * 5))
        pacer.pump(playback)
    assert [len(s) for s in sent.values()] == [3, 3] and pacer.waiting == 2
    clock.now = 0.040  # two more frames of each call are due; the pacer's next ticks send them
    for _ in range(500):
        if pacer.waiting == 0:
            break
        await asyncio.sleep(0.001)
    assert [len(s) for s in sent.values()] == [5, 5] and pacer.waiting == 0
    await pacer.aclose()


def frames_sent(sent: list[str]) -> list[bytes]:
    return [base64.b64decode(json.loads(m)["audioData"]["data"]) for m in sent]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["i1", "i2"]), st.integers(min_value=0, max_value=1500)), max_size=12),
    st.sampled_from([16000, 24000]),
)
def test_base64_deltas_give_the_same_frames_as_decoded_deltas(deltas: list[tuple[str, int]], rate: int) -> None:
    """Cutting the model's base64 as text (24 kHz) or falling back to PCM (padded deltas, 16 kHz) loses nothing."""
    by_text: list[str] = []
    by_pcm: list[str] = []
    text_path = Playback(by_text.append, rate, clock=FakeClock())
    pcm_path = Playback(by_pcm.append, rate, clock=FakeClock())
    for n, (item, samples) in enumerate(deltas):
        pcm = bytes((n + i) % 251 for i in range(samples * 2))  # odd sizes give padded base64
        text_path.enqueue_b64(item, base64.b64encode(pcm).decode())
        pcm_path.enqueue(item, pcm)
    for item in ("i1", "i2"):
        text_path.finish_item(item)
        pcm_path.finish_item(item)
    assert text_path.queued_ms == pcm_path.queued_ms
    for playback in (text_path, pcm_path):
        while playback.queued_ms:
            playback._buffer_end = 0.0  # let every frame be due (the clock is not the point here)
            playback.pump()
    assert frames_sent(by_text) == frames_sent(by_pcm)
    assert text_path.played_ms("i1") == pcm_path.played_ms("i1")


def test_unpadded_deltas_are_cut_as_text_without_decoding() -> None:
    sent: list[str] = []
    playback = Playback(sent.append, 24000, clock=FakeClock())
    audio = base64.b64encode(bytes(range(240)) * 12).decode()  # 2880 bytes = 3 frames, no padding
    playback.enqueue_b64("a", audio[:1000])  # splits need not fall on frame edges, only on 4 characters
    playback.enqueue_b64("a", audio[1000:])
    playback.pump()
    assert [json.loads(m)["audioData"]["data"] for m in sent] == [audio[i : i + 1280] for i in (0, 1280, 2560)]

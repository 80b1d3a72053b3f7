"""The far end's handset: a microphone fed by a script and a speaker that records what it hears.

One clock ticks every 20 ms of media time while the call is up. Each tick the microphone sends
its next frame (script audio, or silence) over the media stream when one is open, and the speaker
plays one frame of queued agent audio (media stream `AudioData` or `play_media` prompts) into the
recording. `StopAudio` drops what is queued but not yet played, so the recording holds exactly what
a caller would have heard. Everything is bounded by `max_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from devstack.acs.media import MediaStream
from devstack.acs.script import Dtmf, HangUp, PlayWav, Say, Silence, Step, Voice, WaitForAgent, read_wav, resample

log = logging.getLogger("devstack.acs.phone")
FRAME_MS = 20
TICKS_PER_SECOND = 1000 // FRAME_MS
DTMF_GAP_TICKS = 5  # 100 ms between key presses


@dataclass
class HandsetStats:
    ticks: int = 0
    agent_frames_heard: int = 0
    agent_ms_dropped_by_stop_audio: int = 0
    caller_frames_spoken: int = 0
    steps_done: int = 0
    prompt_ms_played: int = 0


class Handset:
    """One call's far end. `run()` drives it until `stop()` or the bound is reached."""

    def __init__(
        self,
        *,
        call_id: str,
        script: tuple[Step, ...],
        voice: Voice,
        sample_rate: int,
        speedup: float,
        max_seconds: float,
        hang_up: Callable[[str], Awaitable[None]],
        hang_up_after_script: bool,
    ) -> None:
        self.call_id = call_id
        self.sample_rate = sample_rate
        self.frame_bytes = sample_rate // TICKS_PER_SECOND * 2
        self.stats = HandsetStats()
        self.stream: MediaStream | None = None  # attached while media streaming is on
        self.heard = bytearray()  # speaker timeline: one frame per tick
        self.spoken = bytearray()  # microphone timeline: one frame per tick
        self._voice = voice
        self._interval = FRAME_MS / 1000 / speedup
        self._max_ticks = int(max_seconds * TICKS_PER_SECOND)
        self._hang_up = hang_up
        self._hang_up_after_script = hang_up_after_script
        self._steps: list[Step] = list(script)
        self._mic = bytearray()  # caller audio not yet sent
        self._playout = bytearray()  # agent audio not yet played
        self._last_agent_tick = -1  # tick of the last non-silent agent frame played
        self._tick_changed = asyncio.Condition()
        self._stopped = asyncio.Event()

    # -- inputs from the media stream and the simulator ------------------------------------------

    def play(self, pcm: bytes) -> None:
        """Queue agent audio (from the media stream or a prompt) for the speaker."""
        self._playout.extend(pcm)

    def stop_audio(self) -> None:
        """`StopAudio`: drop queued agent audio, as ACS flushes its playback buffer."""
        self.stats.agent_ms_dropped_by_stop_audio += len(self._playout) * 1000 // (self.sample_rate * 2)
        self._playout.clear()

    def add_steps(self, steps: tuple[Step, ...]) -> None:
        """Append steps to the running script (the `make call` CLI types lines as the caller)."""
        self._steps.extend(steps)

    def stop(self) -> None:
        self._stopped.set()

    @property
    def pending_playout_ms(self) -> int:
        return len(self._playout) * 1000 // (self.sample_rate * 2)

    # -- the clock ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Tick until stopped; the script runs beside the clock."""
        script = asyncio.create_task(self._run_script(), name=f"acs-script-{self.call_id}")
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        silence = bytes(self.frame_bytes)
        try:
            for tick in range(self._max_ticks):
                if self._stopped.is_set():
                    break
                mic = self._take(self._mic)
                self.spoken.extend(mic or silence)
                stream = self.stream
                if stream is not None and stream.is_open:
                    await stream.send_audio(mic or silence, silent=mic is None)
                self.stats.caller_frames_spoken += int(mic is not None)
                heard = self._take(self._playout)
                self.heard.extend(heard or silence)
                if heard is not None:
                    self.stats.agent_frames_heard += 1
                    if any(heard):
                        self._last_agent_tick = tick
                self.stats.ticks = tick + 1
                async with self._tick_changed:
                    self._tick_changed.notify_all()
                deadline += self._interval
                await asyncio.sleep(max(0.0, deadline - loop.time()))
            else:
                log.info("call %s: handset reached its %d s bound", self.call_id, self._max_ticks // TICKS_PER_SECOND)
                await self._hang_up("max_duration")
        finally:
            self._stopped.set()
            async with self._tick_changed:
                self._tick_changed.notify_all()
            script.cancel()
            await asyncio.gather(script, return_exceptions=True)

    def _take(self, buffer: bytearray) -> bytes | None:
        if not buffer:
            return None
        frame = bytes(buffer[: self.frame_bytes])
        del buffer[: self.frame_bytes]
        return frame.ljust(self.frame_bytes, b"\0")

    async def _wait_until(self, done: Callable[[], bool]) -> None:
        async with self._tick_changed:
            await self._tick_changed.wait_for(lambda: done() or self._stopped.is_set())

    async def _wait_ticks(self, count: int) -> None:
        target = self.stats.ticks + count
        await self._wait_until(lambda: self.stats.ticks >= target)

    # -- the script --------------------------------------------------------------------------------

    async def _run_script(self) -> None:
        index = 0
        while index < len(self._steps) and not self._stopped.is_set():
            step = self._steps[index]
            index += 1
            if isinstance(step, HangUp):
                await self._hang_up("script_hangup")
                return
            await self._perform(step)
            self.stats.steps_done += 1
        if self._hang_up_after_script and not self._stopped.is_set():
            # Let the last words leave the microphone before hanging up.
            await self._wait_until(lambda: not self._mic)
            await self._wait_ticks(TICKS_PER_SECOND // 2)
            if not self._stopped.is_set():
                await self._hang_up("script_done")

    async def _perform(self, step: Step) -> None:
        if isinstance(step, Say | PlayWav):
            if isinstance(step, Say):
                pcm = resample(await asyncio.to_thread(self._voice, step.text), 24000, self.sample_rate)
            else:
                pcm = await asyncio.to_thread(read_wav, step.path, self.sample_rate)
            self._mic.extend(pcm)
            await self._wait_until(lambda: not self._mic)
        elif isinstance(step, Silence):
            await self._wait_ticks(round(step.seconds * TICKS_PER_SECOND))
        elif isinstance(step, Dtmf):
            for digit in step.digits:
                if self.stream is not None and self.stream.is_open:
                    await self.stream.send_dtmf(digit)
                await self._wait_ticks(DTMF_GAP_TICKS)
        elif isinstance(step, WaitForAgent):
            start = self.stats.ticks
            limit = start + round(step.timeout_seconds * TICKS_PER_SECOND)
            quiet = step.quiet_ms // FRAME_MS
            await self._wait_until(
                lambda: (
                    self.stats.ticks >= limit
                    or (
                        self._last_agent_tick >= start
                        and not self._playout
                        and self.stats.ticks - self._last_agent_tick > quiet
                    )
                )
            )

    async def play_prompt(self, pcm: bytes) -> None:
        """Play a `play_media` prompt to the far end and return once it has been heard."""
        self.play(pcm)
        self.stats.prompt_ms_played += len(pcm) * 1000 // (self.sample_rate * 2)
        await self._wait_until(lambda: not self._playout)

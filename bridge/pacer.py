"""One timer per replica that paces every call's agent audio.

The model streams a reply faster than real time; `Playback` queues it and may only send a frame once
ACS is about to need it. Giving each call its own timer meant one event-loop wake-up per frame per
call (50 a second per call). The pacer instead wakes every `TICK_MS` while any call has audio waiting
and lets each such call send what became due; calls whose queue is empty are not visited at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bridge.playback import LEAD_MS, Playback

log = logging.getLogger("bridge.pacer")

# Half a frame: a frame that becomes due just after a tick waits at most 10 ms, so ACS still holds
# at least LEAD_MS - TICK_MS = 30 ms when it arrives, and the tick costs the same for 1 or 400 calls.
TICK_MS = 10
assert TICK_MS < LEAD_MS


class Pacer:
    """Calls `Playback.pump` every `TICK_MS` for the playbacks that have frames waiting."""

    def __init__(self, tick_ms: float = TICK_MS) -> None:
        self._tick = tick_ms / 1000
        # Playbacks with frames not yet due (a dict as an insertion-ordered set: calls take turns fairly).
        self._waiting: dict[Playback, None] = {}
        self._task: asyncio.Task[None] | None = None  # running only while something waits

    @property
    def waiting(self) -> int:
        """Playbacks with frames still waiting for their time."""
        return len(self._waiting)

    def pump(self, playback: Playback) -> None:
        """Send what `playback` has due now, and keep pacing it if frames are left waiting."""
        if playback.pump():
            self._waiting[playback] = None
            if self._task is None:
                self._task = asyncio.get_running_loop().create_task(self._run(), name="bridge:pacer")

    def discard(self, playback: Playback) -> None:
        """Stop pacing `playback` (its call ended)."""
        self._waiting.pop(playback, None)

    async def _run(self) -> None:
        try:
            while self._waiting:
                await asyncio.sleep(self._tick)
                for playback in list(self._waiting):
                    try:
                        waiting = playback.pump()
                    except Exception:  # a bug in one call's playback must not stop every call's audio
                        log.exception("playback failed; its queued audio is dropped")
                        waiting = False
                    if not waiting:
                        self._waiting.pop(playback, None)
        finally:
            self._task = None

    async def aclose(self) -> None:
        """Stop the timer (at shutdown, after the calls ended)."""
        self._waiting.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

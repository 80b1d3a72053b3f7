"""Agent audio towards the caller: re-chunked into 20 ms frames, paced at real time, position tracked.

The model streams audio faster than real time in chunks of any size. ACS wants 20 ms frames; if we
pushed everything at once ACS would buffer seconds of speech we could no longer take back on
barge-in. So frames go out at the rate ACS plays them, and because a frame only leaves when it is due,
"sent" is "played" to within one frame: that is the number `conversation.item.truncate` needs. A small
lead (LEAD_MS) is allowed so jitter does not starve ACS; `played_ms` subtracts what is still buffered.

On the 24 kHz path the model's base64 is cut into frames as text (`enqueue_b64`): a 20 ms frame is
960 bytes, exactly 1280 base64 characters, so unpadded deltas split on character boundaries and the
audio is never decoded and re-encoded. A padded delta (a byte count not divisible by 3) or the 16 kHz
path (resampling) takes the PCM path, `enqueue`.

`Playback` has no timer of its own: `pump` sends whatever is due, and the relay calls it when audio
arrives (so a frame that is due goes out at once) while the replica's one `Pacer` calls it for the
frames that must wait. One timer per call meant a wake-up per frame per call.
"""

from __future__ import annotations

import base64
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bridge.acs_protocol import FRAME_MS, audio_message, frame_bytes
from bridge.resample import Resampler

MODEL_RATE = 24000
# Audio kept buffered at ACS ahead of playback: absorbs scheduling jitter without letting ACS hold
# more than we could take back on barge-in.
LEAD_MS = 40


@dataclass(frozen=True, slots=True)
class CutItem:
    """An agent item interrupted by the caller, and how much of it the caller heard."""

    item_id: str
    played_ms: int


class Playback:
    """Queues agent audio per output item and sends it to ACS at the rate ACS plays it."""

    def __init__(
        self,
        send: Callable[[str], None],
        sample_rate: int,
        *,
        on_frame: Callable[[], None] | None = None,
        on_item_sent: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send  # writes one text frame to the ACS socket (without waiting)
        self._rate = sample_rate  # ACS sample rate
        self._frame_bytes = frame_bytes(sample_rate)
        # Base64 characters per frame, when frames can be cut from base64 text (bytes divisible by 3).
        self._frame_chars = self._frame_bytes // 3 * 4 if self._frame_bytes % 3 == 0 else 0
        self._on_frame = on_frame  # metrics hook, called per frame sent
        self._on_item_sent = on_item_sent  # called once an item's last frame went out (not for cut items)
        self._clock = clock
        # None on the 24 kHz path: model audio goes to ACS without resampling.
        self._resampler = Resampler(MODEL_RATE, sample_rate) if sample_rate != MODEL_RATE else None
        self._queue: deque[tuple[str, str, int]] = deque()  # (item id, base64 frame, real samples)
        self._partial = bytearray()  # the start of the next frame of `_partial_item`
        self._partial_b64 = ""  # ... or that start as unpadded base64 (at most one of the two is set)
        self._partial_item = ""
        self._open_items: set[str] = set()  # items the model is still generating audio for
        self._cut_items: set[str] = set()  # items interrupted: later deltas for them are dropped
        self._played: dict[str, int] = {}  # item id -> samples sent to ACS
        self._playing_item = ""  # item of the last frame sent
        self._buffer_end = 0.0  # monotonic time at which ACS will have played everything sent

    @property
    def queued_ms(self) -> int:
        """Milliseconds of agent audio waiting to be sent."""
        return len(self._queue) * FRAME_MS

    def played_ms(self, item_id: str) -> int:
        """Milliseconds of `item_id` the caller has heard: sent, minus what ACS still has buffered."""
        sent_ms = self._played.get(item_id, 0) * 1000 // self._rate
        if item_id != self._playing_item:
            return sent_ms
        buffered_ms = max(0.0, self._buffer_end - self._clock()) * 1000
        return max(0, int(sent_ms - buffered_ms))

    def enqueue_b64(self, item_id: str, audio_b64: str) -> None:
        """Add a chunk of 24 kHz model audio as (checked) base64; cut as text when no resampling is needed."""
        if item_id in self._cut_items:
            return
        chars = self._frame_chars
        if not chars or self._resampler is not None or self._partial or audio_b64.endswith("="):
            self.enqueue(item_id, base64.b64decode(audio_b64))
            return
        self._start_item(item_id)
        text = self._partial_b64 + audio_b64
        usable = len(text) - len(text) % chars
        samples = self._frame_bytes // 2
        for start in range(0, usable, chars):
            self._queue.append((item_id, text[start : start + chars], samples))
        self._partial_b64 = text[usable:]  # whole 4-character groups: still unpadded base64

    def enqueue(self, item_id: str, pcm24: bytes) -> None:
        """Add a chunk of 24 kHz model audio for `item_id`; complete frames join the queue."""
        if item_id in self._cut_items:
            return
        self._start_item(item_id)
        if self._partial_b64:
            self._partial += base64.b64decode(self._partial_b64)
            self._partial_b64 = ""
        pcm = self._resampler.process(pcm24) if self._resampler else pcm24
        self._partial += pcm
        size = self._frame_bytes
        usable = len(self._partial) - len(self._partial) % size
        for start in range(0, usable, size):
            frame = bytes(self._partial[start : start + size])
            self._queue.append((item_id, base64.b64encode(frame).decode("ascii"), size // 2))
        del self._partial[:usable]
        if self._frame_chars and self._resampler is None and len(self._partial) % 3 == 0:
            # Back to the base64 path for the next deltas (the leftover encodes without padding).
            self._partial_b64 = base64.b64encode(self._partial).decode("ascii")
            self._partial.clear()

    def _start_item(self, item_id: str) -> None:
        """Audio for `item_id` begins or goes on: a different item first flushes the previous one's partial frame."""
        if item_id != self._partial_item:
            self._flush_partial()
            self._partial_item = item_id
        self._open_items.add(item_id)

    def finish_item(self, item_id: str) -> None:
        """The model has sent all audio of `item_id`: pad and queue its last partial frame."""
        if item_id in self._cut_items:
            return  # closing events of an interrupted item: its playback is already over
        self._open_items.discard(item_id)
        if item_id == self._partial_item:
            self._flush_partial()
        if self._on_item_sent is not None and all(queued != item_id for queued, _, _ in self._queue):
            self._on_item_sent(item_id)  # every frame of it had already gone out

    def _flush_partial(self) -> None:
        if self._partial_b64:
            self._partial += base64.b64decode(self._partial_b64)
            self._partial_b64 = ""
        if self._partial:
            real = len(self._partial) // 2
            frame = bytes(self._partial) + bytes(self._frame_bytes - len(self._partial))
            self._queue.append((self._partial_item, base64.b64encode(frame).decode("ascii"), real))
            self._partial.clear()

    def close_items(self) -> None:
        """The model session was replaced: its unfinished items will get no more audio."""
        self._flush_partial()
        self._open_items.clear()

    def is_speaking(self) -> bool:
        """True while agent audio is queued or still being generated."""
        return bool(self._queue or self._partial or self._partial_b64 or self._open_items)

    def interrupt(self) -> list[CutItem]:
        """Drop all queued audio (barge-in); returns each cut item with the ms the caller heard."""
        cut_ids = list(dict.fromkeys([*(i for i, _, _ in self._queue), *self._open_items]))
        if self._partial or self._partial_b64:
            cut_ids.append(self._partial_item)
        if self._playing_item and self.is_speaking() and self._playing_item not in cut_ids:
            cut_ids.insert(0, self._playing_item)
        self._queue.clear()
        self._partial.clear()
        self._partial_b64 = ""
        self._open_items.clear()
        self._cut_items.update(cut_ids)
        if self._resampler is not None:  # old speech must not bleed into the next reply
            self._resampler = Resampler(MODEL_RATE, self._rate)
        cut = [CutItem(item_id, self.played_ms(item_id)) for item_id in dict.fromkeys(cut_ids)]
        self._buffer_end = 0.0  # StopAudio empties the ACS buffer
        return cut

    def pump(self) -> bool:
        """Send every queued frame that is due now; True while frames are left waiting for their turn.

        A frame is due once ACS holds at most `LEAD_MS` of audio not yet played.
        """
        period = FRAME_MS / 1000
        lead = LEAD_MS / 1000
        while self._queue:
            now = self._clock()
            if self._buffer_end - lead - now > 0.0005:  # sub-millisecond early is on time (float rounding)
                return True
            item_id, frame, samples = self._queue.popleft()
            # ACS plays frames back to back from when they arrive: model its playout buffer.
            self._buffer_end = max(self._buffer_end, now) + period
            self._playing_item = item_id
            self._played[item_id] = self._played.get(item_id, 0) + samples
            self._send(audio_message(frame))
            if self._on_frame is not None:
                self._on_frame()
            if (
                self._on_item_sent is not None
                and item_id not in self._open_items
                and (not self._queue or self._queue[0][0] != item_id)
            ):
                self._on_item_sent(item_id)
        return False

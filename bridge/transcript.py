"""What the call record says the agent said: the words the caller actually heard.

The model streams a reply faster than real time, so its `response.output_audio_transcript.done`
usually arrives while most of the audio is still queued for the caller, and a barge-in can cut it
later. Or the caller barges in first and the transcript comes after, in the closing events of the
cancelled response. Either way, an agent line is recorded once, when both are known: its
transcript, and how its playback ended (played out, or cut after `heard_ms`). A cut line keeps the
words spoken in the heard share of its audio, as the service trims its own context on truncate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_BYTES_PER_MS = 48  # model audio: 24 kHz PCM16 mono
_MAX_LINES = 64  # lines waiting for their transcript or playback (a call has a handful at once)


@dataclass
class _Line:
    text: str | None = None  # the model's transcript of the item, once it arrived
    audio_ms: int = 0  # audio the model generated for the item
    heard_ms: int | None = None  # set when playback was cut: what the caller heard
    played_out: bool = False  # every frame of the item went to the caller


def heard_words(text: str, heard_ms: int, audio_ms: int) -> str:
    """The words of `text` spoken in the first `heard_ms` of `audio_ms` of speech."""
    words = text.split()
    if audio_ms <= 0:
        return text if heard_ms > 0 else ""
    return " ".join(words[: len(words) * min(heard_ms, audio_ms) // audio_ms])


class AgentTranscripts:
    """Agent lines by item id, each recorded through `record(text, heard_ms | None)` exactly once."""

    def __init__(self, record: Callable[[str, int | None], None]) -> None:
        self._record = record  # (text heard, heard_ms if the line was cut, else None)
        self._lines: dict[str, _Line] = {}
        self._done: set[str] = set()  # items already recorded: their late events change nothing

    def _line(self, item_id: str) -> _Line | None:
        if item_id in self._done:
            return None
        line = self._lines.get(item_id)
        if line is None:
            line = self._lines[item_id] = _Line()
            while len(self._lines) > _MAX_LINES:
                del self._lines[next(iter(self._lines))]
        return line

    def audio(self, item_id: str, audio_b64_chars: int) -> None:
        """Count a delta's audio (from its base64 length: no decoding on the hot path)."""
        line = self._line(item_id)
        if line is not None:
            line.audio_ms += audio_b64_chars * 3 // 4 // _BYTES_PER_MS

    def transcript(self, item_id: str, text: str) -> None:
        line = self._line(item_id)
        if line is not None:
            line.text = text
            self._settle(item_id, line)

    def cut(self, item_id: str, heard_ms: int) -> None:
        """Playback of the item was stopped after `heard_ms` (barge-in)."""
        line = self._line(item_id)
        if line is not None and line.heard_ms is None and not line.played_out:
            line.heard_ms = heard_ms
            self._settle(item_id, line)

    def played_out(self, item_id: str) -> None:
        """The caller was sent every frame of the item."""
        line = self._line(item_id)
        if line is not None and line.heard_ms is None:
            line.played_out = True
            self._settle(item_id, line)

    def flush(self, heard_ms: Callable[[str], int]) -> None:
        """The call ended: lines still playing are recorded as far as they were heard."""
        for item_id, line in list(self._lines.items()):
            if line.text is not None and line.heard_ms is None and not line.played_out:
                line.heard_ms = heard_ms(item_id)
            self._settle(item_id, line)

    def _settle(self, item_id: str, line: _Line) -> None:
        if line.text is None or (line.heard_ms is None and not line.played_out):
            return
        del self._lines[item_id]
        self._done.add(item_id)
        if line.heard_ms is None:
            self._record(line.text, None)
        else:
            self._record(heard_words(line.text, line.heard_ms, line.audio_ms), line.heard_ms)

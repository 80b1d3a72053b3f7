"""Sans-I/O codec for ACS bidirectional media streaming (JSON text frames over WebSocket).

Inbound (ACS -> bridge): `AudioMetadata` once, then `AudioData` every 20 ms, `DtmfData` on key
presses. Outbound: `AudioData` with base64 PCM and `StopAudio` to flush what ACS has queued.
Unknown kinds return `None` (ACS may add kinds); malformed frames raise `AcsProtocolError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson  # parses what the compact paths do not slice (2-3x json.loads)

from bridge.b64 import is_base64
from bridge.events import CallerAudio, CallerDtmf, CallerEvent, MediaStarted

# ACS streams PCM16 mono at one of these rates; 20 ms frames are 640 or 960 bytes.
SUPPORTED_RATES = (16000, 24000)
FRAME_MS = 20

# The uplink forwards the base64 as is into JSON built by concatenation (checked by `is_base64`).
_MAX_B64_CHARS = 65536

# The hot path: every call sends 50 AudioData frames a second, compact JSON with the fields in this
# order. A frame that matches this head and ends with one of the tails is valid JSON of the
# documented shape, so its base64 is sliced out without json.loads (2 us instead of 9 us per frame on
# the dev VM). Anything else (other order, whitespace, escapes, other kinds) takes the general parser,
# so the fast path accepts nothing the general one would refuse.
_AUDIO_HEAD = re.compile(
    r'\{"kind":"AudioData","audioData":\{(?:"timestamp":"[^"\\\x00-\x1f]*",)?'
    r'(?:"participantRawID":"[^"\\\x00-\x1f]*",)?"data":"'
)
_AUDIO_TAILS = {'"}}': False, '","silent":false}}': False, '","silent":true}}': True}
_DTMF_DIGITS = frozenset("0123456789*#ABCD")


class AcsProtocolError(ValueError):
    """A frame from ACS is not valid JSON or does not have the documented shape."""


def frame_bytes(sample_rate: int) -> int:
    """Bytes in one 20 ms PCM16 mono frame at `sample_rate`."""
    return sample_rate * FRAME_MS // 1000 * 2


def _parse_metadata(body: dict[str, Any]) -> MediaStarted:
    meta = body.get("audioMetadata")
    if not isinstance(meta, dict):
        raise AcsProtocolError("AudioMetadata without an audioMetadata object")
    rate = meta.get("sampleRate")
    if type(rate) is not int or rate not in SUPPORTED_RATES:  # 16000.0 == 16000, but frame math needs an int
        raise AcsProtocolError(f"unsupported sample rate {rate!r}; expected 16000 or 24000")
    if meta.get("encoding", "PCM") != "PCM" or meta.get("channels", 1) != 1:
        raise AcsProtocolError("only PCM mono audio is supported")
    length = meta.get("length", frame_bytes(rate))
    if type(length) is not int or length <= 0 or length > 65536:  # `true` is an int to isinstance
        raise AcsProtocolError("audioMetadata.length must be a positive frame size")
    subscription = meta.get("subscriptionId", "")
    return MediaStarted(sample_rate=rate, frame_bytes=length, subscription_id=str(subscription))


def _parse_audio(body: dict[str, Any]) -> CallerAudio:
    audio = body.get("audioData")
    if not isinstance(audio, dict):
        raise AcsProtocolError("AudioData without an audioData object")
    data = audio.get("data", "")
    silent = audio.get("silent", False) is True
    if not isinstance(data, str):
        raise AcsProtocolError("audioData.data must be a base64 string")
    if not is_base64(data, _MAX_B64_CHARS):
        raise AcsProtocolError("audioData.data is not valid base64 of a bounded size")
    return CallerAudio(audio_b64=data, silent=silent)


def _parse_compact_audio(text: str) -> CallerAudio | None:
    """The fast path for a compact `AudioData` frame; None when the frame needs the general parser."""
    head = _AUDIO_HEAD.match(text)
    if head is None:
        return None
    start = head.end()
    end = text.find('"', start)
    silent = _AUDIO_TAILS.get(text[end:]) if end >= 0 else None
    data = text[start:end]
    if silent is None or not is_base64(data, _MAX_B64_CHARS):
        return None
    return CallerAudio(audio_b64=data, silent=silent)


def _parse_dtmf(body: dict[str, Any]) -> CallerDtmf:
    dtmf = body.get("dtmfData")
    digit = dtmf.get("data") if isinstance(dtmf, dict) else None
    if not isinstance(digit, str) or digit not in _DTMF_DIGITS:
        raise AcsProtocolError("DtmfData.data must be one key: 0-9, *, #, A-D")
    return CallerDtmf(digit=digit)


# The type -> parser table: one entry per inbound kind.
_PARSERS: dict[str, Callable[[dict[str, Any]], CallerEvent]] = {
    "AudioMetadata": _parse_metadata,
    "AudioData": _parse_audio,
    "DtmfData": _parse_dtmf,
}


def parse_acs_message(text: str) -> CallerEvent | None:
    """Turn one ACS text frame into a caller event; `None` for kinds the bridge ignores.

    Raises:
        AcsProtocolError: not JSON, not an object, no `kind`, or a known kind with a bad shape.
    """
    audio = _parse_compact_audio(text)
    if audio is not None:
        return audio
    try:
        body = orjson.loads(text)
    except (ValueError, RecursionError):
        raise AcsProtocolError("frame is not valid JSON") from None
    if not isinstance(body, dict):
        raise AcsProtocolError("frame is not a JSON object")
    kind = body.get("kind")
    if not isinstance(kind, str):
        raise AcsProtocolError("frame has no 'kind'")
    parser = _PARSERS.get(kind)
    return parser(body) if parser else None


def audio_message(audio_b64: str) -> str:
    """An outbound `AudioData` frame; `audio_b64` must be base64 (no JSON escaping needed)."""
    return '{"kind":"AudioData","audioData":{"data":"' + audio_b64 + '"}}'


STOP_AUDIO_MESSAGE = json.dumps({"kind": "StopAudio", "audioData": None, "stopAudio": {}}, separators=(",", ":"))


def stop_audio_message() -> str:
    """The `StopAudio` frame that makes ACS drop the agent audio it has buffered."""
    return STOP_AUDIO_MESSAGE

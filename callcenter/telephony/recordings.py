"""`Microsoft.Communication.RecordingFileStatusUpdated`: the recording's file reaches the call record.

ACS publishes it on Event Grid (the same subscription and function as IncomingCall) once the recorded
call has ended, so the call's orchestration is usually over: the record is updated directly. The
subject ends in `/recordingId/{id}`, the id `start_recording` returned and the record keeps.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from callcenter.config import get_settings
from callcenter.errors import InvalidInput
from callcenter.store import calls as store

log = logging.getLogger("callcenter.telephony")

RECORDING_FILE = "Microsoft.Communication.RecordingFileStatusUpdated"
_RECORDING_ID = re.compile(r"/recordingId/([^/]{1,200})$")


def recording_file(subject: str, data: Any) -> tuple[str, str]:
    """(recording id, file URL) of one event.

    Raises:
        InvalidInput: no recording id in the subject, or no chunk with a contentLocation.
    """
    match = _RECORDING_ID.search(subject or "")
    storage = data.get("recordingStorageInfo") if isinstance(data, dict) else None
    chunks = storage.get("recordingChunks") if isinstance(storage, dict) else None
    first = chunks[0] if isinstance(chunks, list) and chunks and isinstance(chunks[0], dict) else {}
    location = first.get("contentLocation")
    if match is None or not isinstance(location, str) or not location.startswith(("https://", "http://")):
        raise InvalidInput("RecordingFileStatusUpdated needs a recordingId subject and a chunk contentLocation")
    return match.group(1), location


async def store_recording_file(subject: str, data: Any) -> str | None:
    """Put the file's URL on the call record; the call id, or None when no call has that recording."""
    recording_id, location = recording_file(subject, data)
    settings = get_settings()
    call_id = await store.find_call_by_recording(settings, recording_id)
    if call_id is None:  # a redelivery after the update, or a recording this app did not start
        log.info("recording %s: no call record waits for its file", recording_id)
        return None
    await store.update_call(settings, call_id, recording_location=location)
    log.info("call %s: recording file available", call_id)
    return call_id

"""RecordingFileStatusUpdated events: what the app takes from them, and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from callcenter.errors import InvalidInput
from callcenter.telephony.recordings import recording_file

SUBJECT = "/recording/call/aHR0cHM6Ly9zZXJ2ZXI/recordingId/eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIx"
DATA = {
    "recordingStorageInfo": {
        "recordingChunks": [
            {
                "documentId": "0-eus-d12-801b",
                "index": 0,
                "endReason": "SessionEnded",
                "contentLocation": "https://storage.asm.skype.com/v1/objects/0-eus-d12-801b/content/audio",
                "metadataLocation": "https://storage.asm.skype.com/v1/objects/0-eus-d12-801b/content/acsmetadata",
            }
        ]
    },
    "recordingStartTime": "2021-07-27T15:20:23.6089755Z",
    "recordingDurationMs": 6620,
    "sessionEndReason": "CallEnded",
}


def test_the_documented_event_gives_the_recording_id_and_its_file_url() -> None:
    recording_id, location = recording_file(SUBJECT, DATA)
    assert recording_id == "eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiIx"
    assert location == "https://storage.asm.skype.com/v1/objects/0-eus-d12-801b/content/audio"


@pytest.mark.parametrize(
    ("subject", "data"),
    [
        ("/recording/call/x", DATA),
        (SUBJECT, {}),
        (SUBJECT, {"recordingStorageInfo": {"recordingChunks": []}}),
        (SUBJECT, {"recordingStorageInfo": {"recordingChunks": [{"contentLocation": "file:///etc/passwd"}]}}),
        (SUBJECT, ["not", "an", "object"]),
    ],
)
def test_events_without_a_recording_id_or_an_http_file_location_are_refused(subject: str, data: Any) -> None:
    with pytest.raises(InvalidInput):
        recording_file(subject, data)

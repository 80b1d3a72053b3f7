"""Agent lines are recorded once, as heard, whatever order the transcript and the playback's end come in."""

from __future__ import annotations

import base64

import pytest

from bridge.playback import Playback
from bridge.transcript import AgentTranscripts, heard_words
from tests.bridge.test_resample_and_playback import FakeClock

SECOND_B64 = len(base64.b64encode(bytes(48000)))  # one second of model audio, as base64 characters


def ledger() -> tuple[AgentTranscripts, list[tuple[str, int | None]]]:
    recorded: list[tuple[str, int | None]] = []
    return AgentTranscripts(lambda text, heard: recorded.append((text, heard))), recorded


def test_heard_words_keep_the_share_of_words_spoken_in_the_heard_audio() -> None:
    assert heard_words("a b c d", 500, 1000) == "a b"
    assert heard_words("a b c d", 5000, 1000) == "a b c d"
    assert heard_words("a b c d", 0, 1000) == ""


@pytest.mark.parametrize(
    "steps",
    [
        ["transcript", "cut", "cut", "played_out", "transcript"],  # reply generated first, then barged in
        ["cut", "transcript", "transcript"],  # barge-in first, transcript in the closing events
        ["cut", "played_out", "transcript"],
    ],
)
def test_a_cut_line_is_recorded_once_with_the_heard_words(steps: list[str]) -> None:
    lines, recorded = ledger()
    lines.audio("i1", 4 * SECOND_B64)
    for step in steps:
        if step == "transcript":
            lines.transcript("i1", "one two three four five six seven eight")
        elif step == "cut":
            lines.cut("i1", 1000)
        else:
            lines.played_out("i1")
    assert recorded == [("one two", 1000)]


@pytest.mark.parametrize("transcript_first", [True, False])
def test_a_line_played_out_is_recorded_whole_once(transcript_first: bool) -> None:
    lines, recorded = ledger()
    lines.audio("i1", SECOND_B64)
    if transcript_first:
        lines.transcript("i1", "all of it")
        assert recorded == []  # still playing: a barge-in may yet cut it
        lines.played_out("i1")
    else:
        lines.played_out("i1")
        lines.transcript("i1", "all of it")
    lines.cut("i1", 10)  # a barge-in after the line was played changes nothing
    lines.flush(lambda item: 0)
    assert recorded == [("all of it", None)]


def test_a_line_still_playing_when_the_call_ends_is_recorded_as_far_as_heard() -> None:
    lines, recorded = ledger()
    lines.audio("i1", 2 * SECOND_B64)
    lines.transcript("i1", "a b c d")
    lines.audio("i2", SECOND_B64)  # no transcript yet: nothing to record
    lines.flush(lambda item: 1000)
    assert recorded == [("a b", 1000)]


def test_playback_reports_an_item_sent_once_and_never_for_a_cut_item() -> None:
    sent: list[str] = []
    done: list[str] = []
    clock = FakeClock()
    playback = Playback(sent.append, 24000, on_item_sent=done.append, clock=clock)
    playback.enqueue("a", bytes(960 * 3))
    playback.finish_item("a")
    for _ in range(5):
        playback.pump()
        clock.now += 0.02
    assert done == ["a"]
    playback.enqueue("b", bytes(960 * 50))
    playback.pump()
    playback.interrupt()
    playback.finish_item("b")  # the closing events of the interrupted response
    playback.enqueue_b64("b", base64.b64encode(bytes(960)).decode())
    for _ in range(5):
        playback.pump()
        clock.now += 0.02
    assert done == ["a"] and not playback.is_speaking()


def test_playback_reports_an_item_whose_frames_all_left_before_its_audio_done() -> None:
    done: list[str] = []
    playback = Playback(lambda text: None, 24000, on_item_sent=done.append, clock=FakeClock())
    playback.enqueue("a", bytes(960))
    playback.pump()  # sent at once, while the model may still send more
    assert done == []
    playback.finish_item("a")
    assert done == ["a"]

"""The offline assistant answers a person at a microphone, through Chromium's real WebRTC stack.

Chromium's fake microphone asks for an account's balance (eSpeak NG); the browser's audio processing and Opus
carry it to the Realtime simulator in assistant mode, PocketSphinx hears it, the assistant picks the
tool by the words heard, the front end runs the tool through the API, and the assistant answers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.frontend.browser import BrowserRun, running_stack


@pytest.fixture(scope="module")
def browser_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserRun]:
    work = tmp_path_factory.mktemp("browser-assistant")
    with running_stack(work, ["--assistant"], "What is the balance on account A C C one zero zero one?") as run:
        yield run


def test_offline_assistant_hears_the_microphone_and_answers_with_a_tool(browser_run: BrowserRun) -> None:
    steps = browser_run.run("assistant")
    assert "step: caller heard" in steps and "step: tool answered" in steps

"""Helpers of the browser end-to-end tests: the local stack, the fake microphone, and e2e.mjs runs.

The stack is the one `make run` starts (devstack.run.build_stack) on ephemeral loopback ports. The
browser is Debian's Chromium driven by playwright-core (`npm ci --prefix tests/frontend`), which
never downloads a browser. Chromium's fake microphone plays a WAV spoken by eSpeak NG at test time,
looped, so each loop of the file is one caller turn.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from devstack.run import Ports, Stack, build_stack, start, stop

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCREENSHOTS = REPO / "docs" / "screenshots"
RUN_SECONDS = 90  # one scenario in the browser, start to finish
STEP_MS = 30_000  # how long the page may take for one step (a locator wait)


def require_tools() -> tuple[str, str]:
    """Chromium and node with playwright-core, or a failure that says how to install them."""
    browser = shutil.which("chromium")
    if browser is None:
        pytest.fail("Chromium is missing: install Debian's with `apt-get install -y chromium`", pytrace=False)
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is missing: run `npm ci --prefix tests/frontend`", pytrace=False)
    if not (REPO / "frontend" / "dist" / "index.html").exists():
        pytest.fail(
            "the front end is not built: run `npm ci --prefix frontend && npm run build --prefix frontend`",
            pytrace=False,
        )
    return browser, node


def write_caller_wav(path: Path, sentence: str, lead_seconds: float = 5.0, tail_seconds: float = 3.0) -> None:
    """A caller turn for Chromium's fake microphone: silence, `sentence` spoken by eSpeak NG, silence.

    Chromium starts the file when the page opens the microphone, so the leading silence lets the
    agent's greeting be generated before the caller speaks (speaking earlier would barge in on it).
    """
    from devstack.realtime.speech import OUTPUT_RATE, espeak_voice

    speech = np.frombuffer(espeak_voice(sentence), dtype="<i2")
    lead = np.zeros(int(lead_seconds * OUTPUT_RATE), "<i2")
    tail = np.zeros(int(tail_seconds * OUTPUT_RATE), "<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(OUTPUT_RATE)
        out.writeframes(np.concatenate([lead, speech, tail]).tobytes())


@dataclass(frozen=True)
class BrowserRun:
    """A running stack plus what a scenario run needs: Chromium, node and the fake microphone's WAV."""

    stack: Stack
    chromium: str
    node: str
    wav: Path
    work: Path

    def run(self, scenario: str, **extra: str) -> str:
        """Run one scenario of e2e.mjs; returns its step log, fails with it (and the page's text)."""
        config = {
            "baseUrl": self.stack.api_url,
            "chromium": self.chromium,
            "wav": str(self.wav),
            "screenshots": str(SCREENSHOTS),
            "failures": str(self.work / "failures"),
            "timeoutMs": STEP_MS,
            **extra,
        }
        env = {**os.environ, "E2E_CONFIG": json.dumps(config), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
        try:
            done = subprocess.run(
                [self.node, str(HERE / "e2e.mjs"), scenario],
                cwd=HERE,
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_SECONDS,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"{scenario} did not finish in {RUN_SECONDS} s:\n{exc.stdout or ''}", pytrace=False)
        output = done.stdout + done.stderr
        if done.returncode != 0:
            pytest.fail(f"{scenario} failed in the browser (logs in {self.work}):\n{output}", pytrace=False)
        return output


@contextlib.contextmanager
def running_stack(work: Path, realtime_mode: list[str], sentence: str) -> Iterator[BrowserRun]:
    """The whole local stack on ephemeral ports, stopped on exit; logs stay in `work`/logs."""
    chromium, node = require_tools()
    wav = work / "caller.wav"
    write_caller_wav(wav, sentence)
    stack = build_stack(Ports.ephemeral(), work, realtime_mode=realtime_mode, persist=False)
    try:
        start(stack, work / "logs", announce=False)
        yield BrowserRun(stack, chromium, node, wav, work)
    finally:
        stop(stack)

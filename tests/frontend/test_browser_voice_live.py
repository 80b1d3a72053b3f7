"""A web conversation with a Voice Live agent in Chromium, through the bridge, against the local stack.

`make run`'s stack puts the healthcare agent on Voice Live; its web session is granted a bridge token
(no key), the page opens the bridge's `/web/realtime` WebSocket and streams the fake microphone as
PCM16 from an AudioWorklet; the bridge holds the simulator's `/voice-live/realtime` session. The
caller's turn triggers a tool the browser runs through the function app; the record is checked too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.frontend.browser import BrowserRun, running_stack

SCENARIO = {
    "greeting": "Hello.",  # unused: the browser asks for the agent profile's greeting
    "turns": [
        {
            "caller": "i need a dermatology appointment",
            "agent": "Let me look.",
            "tool_calls": [{"name": "find_appointment_slots", "arguments": {"specialty": "dermatology"}}],
            "after_tools": "I found open slots for you.",
        }
    ],
    "fallback": "Is there anything else I can help with?",
}


@pytest.fixture(scope="module")
def browser_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserRun]:
    work = tmp_path_factory.mktemp("browser-voice-live")
    scenario = work / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO))
    mode = ["--scenario", str(scenario), "--voice", "tone"]
    with running_stack(work, mode, "I need a dermatology appointment, please.") as run:
        yield run


def test_a_voice_live_agent_holds_a_web_conversation_through_the_bridge(browser_run: BrowserRun) -> None:
    steps = browser_run.run("voice_live_conversation", screenshots="")
    assert "step: connected through the bridge" in steps and "step: conversation ended" in steps
    with httpx.Client(base_url=browser_run.stack.bridge_url, timeout=10) as bridge:
        metrics = bridge.get("/metrics").text
    assert 'reason="token_already_used"' not in metrics and 'reason="web_origin"' not in metrics
    # The browser's recorder keeps the conversation on record on this path too.
    with httpx.Client(base_url=browser_run.stack.api_url, timeout=10) as api:
        web = [c for c in api.get("/api/calls").json()["calls"] if c["channel"] == "web"]
        assert len(web) == 1 and web[0]["agent"] == "healthcare", web
        detail = api.get(f"/api/calls/{web[0]['call_id']}").json()
    record = detail["record"]
    assert record["status"] == "ended" and record["tool_calls"] == 1 and record["usage"]["total_tokens"] > 0
    lines = [(line["role"], line["text"]) for line in detail["transcript"]]
    assert any(role == "caller" and "dermatology" in text for role, text in lines)
    assert any(role == "agent" and "open slots" in text for role, text in lines)

"""The Live and Dashboard screens in Debian's Chromium against the local stack (scripted model).

A phone call placed through the ACS simulator is followed on the Live screen while it happens; the
supervisor coaches the agent from the page, and the agent's next line follows the coaching; then ends
the call. The Dashboard shows KPIs of conversations seeded into the stack's Table Storage.
Screenshots of the three screens land in docs/screenshots/ (live, live-call, dashboard).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callcenter.config import load_settings
from callcenter.store import stats
from devstack import azurite
from devstack.run import Stack
from tests.callcenter.api.test_stats_api import SEED
from tests.e2e.test_phone_calls import inbound
from tests.e2e.test_supervisor import SCENARIO
from tests.frontend.browser import HERE, RUN_SECONDS, SCREENSHOTS, STEP_MS, require_tools, running_stack
from tests.frontend.test_browser_e2e import SCENARIO as WEB_SCENARIO
from tests.support.stack import scripted_stack

WEB_SENTENCE = "My internet connection keeps dropping, can you help me?"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_tools()
    with scripted_stack(tmp_path_factory.mktemp("ops-browser"), SCENARIO) as running:
        yield running


def start_page(stack: Stack, work: Path, scenario: str, **extra: str) -> subprocess.Popen[str]:
    """Start one scenario of operations.mjs in Chromium (it runs beside the test)."""
    chromium, node = require_tools()
    config = {
        "baseUrl": stack.api_url,
        "chromium": chromium,
        "screenshots": str(SCREENSHOTS),
        "failures": str(work / "failures"),
        "timeoutMs": STEP_MS,
        **extra,
    }
    env = {**os.environ, "E2E_CONFIG": json.dumps(config), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    argv = [node, str(HERE / "operations.mjs"), scenario]
    return subprocess.Popen(argv, cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_page(process: subprocess.Popen[str], scenario: str) -> str:
    try:
        output, _ = process.communicate(timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"{scenario} did not finish in {RUN_SECONDS} s:\n{output}", pytrace=False)
    if process.returncode != 0:
        pytest.fail(f"{scenario} failed in the browser:\n{output}", pytrace=False)
    return output


def test_live_view_follows_a_call_and_coaching_changes_the_agents_next_line(stack: Stack, tmp_path: Path) -> None:
    script = [{"wait_for_agent": 10}, {"say": "I want to cancel my plan"}, {"wait_for_agent": 10}, {"silence": 16}]
    script += [{"say": "it is too expensive"}, {"wait_for_agent": 10}, {"silence": 40}]
    page = start_page(stack, tmp_path, "live")  # on the Live screen before the call comes in
    with httpx.Client(base_url=stack.acs_url, timeout=10) as acs:
        acs.post("/simulator/behaviours", json={"human_agent": {"kind": "answer"}, "default": {"kind": "answer"}})
        inbound(acs, script)
    steps = finish_page(page, "live")
    assert "step: agent's next line follows the coaching" in steps and "step: call ended by the supervisor" in steps


def test_dashboard_shows_the_kpis_of_seeded_conversations(stack: Stack, tmp_path: Path) -> None:
    connection = azurite.connection_string(stack.ports.azurite_table)
    asyncio.run(stats.count_ended(load_settings({"CALLCENTER_TABLES_CONNECTION": connection}), SEED))
    page = start_page(stack, tmp_path, "dashboard", statsQuery="from=2026-11-02&to=2026-11-04&bucket=day")
    steps = finish_page(page, "dashboard")
    assert "step: tiles show the seeded figures" in steps and "step: channel filter" in steps


def test_a_web_conversation_in_the_browser_is_on_record_in_the_history(tmp_path: Path) -> None:
    work = tmp_path / "web"
    work.mkdir()
    scenario = work / "scenario.json"
    scenario.write_text(json.dumps(WEB_SCENARIO))
    with running_stack(work, ["--scenario", str(scenario), "--voice", "tone"], WEB_SENTENCE) as run:
        steps = run.run("web_conversation")
        assert "step: conversation ended" in steps
        with httpx.Client(base_url=run.stack.api_url, timeout=10) as api:
            web = [c for c in api.get("/api/calls").json()["calls"] if c["channel"] == "web"]
            assert len(web) == 1, web
            detail = api.get(f"/api/calls/{web[0]['call_id']}").json()
    record = detail["record"]
    assert (record["status"], record["outcome"], record["reason"]) == ("ended", "completed", "caller_hung_up")
    assert record["usage"]["total_tokens"] > 0 and record["tool_calls"] == 2 and record["estimated_cost"] > 0
    lines = [(line["role"], line["text"]) for line in detail["transcript"]]
    assert any(role == "caller" and "internet" in text for role, text in lines)
    assert any(role == "agent" and "Your balance is" in text for role, text in lines)

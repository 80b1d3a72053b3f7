"""The call contract is spelled the same by the function app, the bridge and docs/internal-api.md."""

from __future__ import annotations

import re

from bridge.contract import EventType, NoticeType, ToolControl
from bridge.session import EndReason
from callcenter import calls
from callcenter.calls.kinds import BRIDGE_CONTROL_KINDS, TOOL_CONTROL_KINDS
from callcenter.campaigns.pacing import FINAL_FROM_CALL, Bucket
from tests.conftest import REPO

DOC = (REPO / "docs" / "internal-api.md").read_text(encoding="utf-8")


def _values(enum_type: type) -> set[str]:
    return {member.value for member in enum_type}  # type: ignore[attr-defined]


def test_documented_event_types_are_the_bridges_and_the_function_apps() -> None:
    documented = set(re.findall(r'^\s+- `\{"type": "(\w+)"', DOC.split("3. `POST")[1].split("`notices`")[0], re.M))
    assert documented == _values(EventType) == _values(calls.BridgeEventType)


def test_documented_media_end_reasons_are_the_bridges_and_the_function_apps() -> None:
    line = re.search(r'"type": "media_ended", "reason": ((?:"\w+"\|?\s*)+)', DOC)
    assert line is not None
    documented = set(re.findall(r'"(\w+)"', line.group(1)))
    assert documented == _values(EndReason) == _values(calls.MediaEndReason)


def test_documented_notices_are_the_bridges_and_the_function_apps() -> None:
    documented = set(re.findall(r'^\s+- `\{"type": "(\w+)", "message"\}`', DOC, re.M))
    assert documented == _values(NoticeType) == _values(calls.NoticeType)


def test_documented_tool_controls_are_the_bridges_and_the_tool_kinds() -> None:
    line = re.search(r'"control": ((?:"\w+"\|?)+)\?', DOC)
    assert line is not None
    documented = set(re.findall(r'"(\w+)"', line.group(1)))
    assert documented == _values(ToolControl) == {kind.value for kind in TOOL_CONTROL_KINDS}


def test_bridge_events_that_steer_the_call_are_call_event_kinds() -> None:
    assert {kind.value for kind in BRIDGE_CONTROL_KINDS} <= _values(calls.BridgeEventType)


def test_every_call_outcome_has_a_campaign_bucket_of_the_same_name() -> None:
    for outcome in calls.Outcome:
        bucket = FINAL_FROM_CALL[outcome]
        assert bucket == Bucket.COMPLETED if outcome is calls.Outcome.ABANDONED else bucket.value == outcome.value


def test_records_written_with_the_old_spelling_read_as_the_same_outcome() -> None:
    assert calls.Outcome.parse("no-answer") is calls.Outcome.NO_ANSWER
    assert calls.Outcome.parse("") is None and calls.Outcome.parse("lost") is None


def test_only_call_automation_types_the_lifecycle_knows_become_kinds() -> None:
    assert (
        calls.CallEventKind.from_acs_type("Microsoft.Communication.CallConnected") is calls.CallEventKind.CALL_CONNECTED
    )
    assert calls.CallEventKind.from_acs_type("Microsoft.Communication.escalate") is None
    assert calls.CallEventKind.from_acs_type("Microsoft.Communication.Unheard") is None
    assert calls.CallEventKind.from_acs_type("CallConnected") is None

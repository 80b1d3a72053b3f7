"""The names the bridge shares with the function app, as docs/internal-api.md documents them.

The bridge never imports `callcenter/`, so it keeps its own copy of the contract's closed sets;
tests/callcenter/calls/test_contract.py checks that this copy, the function app's
(`callcenter/calls/kinds.py`) and the documentation say the same. The `reason` of `media_ended`
is `bridge.session.EndReason`.
"""

from __future__ import annotations

import enum


class EventType(enum.StrEnum):
    """The `type` of each event the bridge posts to /api/internal/calls/{id}/events."""

    TRANSCRIPT = "transcript"
    TOOL_CALL = "tool_call"
    BARGE_IN = "barge_in"
    USAGE = "usage"
    DTMF = "dtmf"
    AGENT_CHANGED = "agent_changed"
    MEDIA_ENDED = "media_ended"
    MODEL_FAILED = "model_failed"


class NoticeType(enum.StrEnum):
    """The `type` of a notice the events endpoint hands back (spoken to the caller by the model)."""

    TRANSFER_FAILED = "transfer_failed"
    COACH = "coach"  # guidance for the agent: no reply is asked for
    SUPERVISOR_TRANSFER = "supervisor_transfer"
    SUPERVISOR_END = "supervisor_end"


class ToolControl(enum.StrEnum):
    """The `control` of a function-call response: what the tool asked the call to do."""

    ESCALATE = "escalate"
    END_CALL = "end_call"
    VOICEMAIL = "voicemail"

"""Every transition of `call_lifecycle`, driven as a plain generator against a fake context (no host).

Times: the fake orchestration clock starts at START; an event's `time` is its own timestamp.
"""

from __future__ import annotations

from datetime import timedelta

from callcenter.orchestrations import call_activities as act
from callcenter.orchestrations.call_transitions import (
    GOODBYE_SECONDS,
    HOLD_SECONDS,
    MEDIA_END_WAIT_SECONDS,
    TRANSFER_WAIT_SECONDS,
)
from tests.callcenter.orchestrations.fake_context import START, call_input, drive, event


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


CONNECTED = event("CallConnected", after=2, callConnectionId="conn-in", time=at(1.5))


def test_inbound_call_nobody_answers_is_abandoned_after_the_ring_limit() -> None:
    run = drive(call_input(no_answer_seconds=30), [])
    assert run.names() == [act.HANG_UP, act.FINALIZE_CALL]
    assert run.ending == {"call_id": "call-1", "outcome": "abandoned", "reason": "not answered", "ended_at": at(30)}


def test_outbound_call_is_placed_then_gives_up_as_no_answer() -> None:
    run = drive(call_input("outbound"), [])
    assert run.names() == [act.PLACE_CALL, act.HANG_UP, act.FINALIZE_CALL]
    assert run.inputs(act.HANG_UP)[0]["call_connection_id"] == "conn-1"  # kept from place_call's result
    assert run.ending["outcome"] == "no_answer"


def test_outbound_call_that_cannot_be_placed_fails_with_the_error() -> None:
    run = drive(
        call_input("outbound"), [], {act.PLACE_CALL: lambda _: {"ok": False, "error": "create_call failed (403)"}}
    )
    assert run.names() == [act.PLACE_CALL, act.FINALIZE_CALL]
    assert run.ending["outcome"] == "failed" and run.ending["reason"] == "create_call failed (403)"


def test_busy_callee_ends_the_call_busy_at_the_events_time() -> None:
    failed = event("CreateCallFailed", after=5, time=at(4), resultInformation={"code": 486, "subCode": 0})
    run = drive(call_input("outbound"), [failed])
    assert run.names() == [act.PLACE_CALL, act.FINALIZE_CALL]
    assert run.ending["outcome"] == "busy" and run.ending["ended_at"] == at(4)


def test_connect_records_the_answer_time_from_the_event_and_starts_recording() -> None:
    hang_up = event("CallDisconnected", after=60, time=at(61))
    run = drive(call_input(record_call=True), [CONNECTED, hang_up])
    assert run.names() == [act.SET_STATUS, act.START_RECORDING, act.FINALIZE_CALL]
    assert run.inputs(act.SET_STATUS)[0] == {"call_id": "call-1", "status": "connected", "answered_at": at(1.5)}
    assert run.inputs(act.START_RECORDING)[0]["call_connection_id"] == "conn-in"
    assert run.ending == {"call_id": "call-1", "outcome": "completed", "reason": "caller_hung_up", "ended_at": at(61)}
    assert [s["state"] for s in run.context.statuses] == ["ringing", "connected", "ended"]
    assert run.context.statuses[-1]["outcome"] == "completed"


def test_an_event_time_from_another_clock_falls_back_to_orchestration_time() -> None:
    # ACS stamped the event later than it arrived (skew, or a test's virtual clock): not trusted.
    future = event("CallConnected", after=2, time=at(3600))
    unreadable = event("CallDisconnected", after=10, time="yesterday")
    run = drive(call_input(), [future, unreadable])
    assert run.inputs(act.SET_STATUS)[0]["answered_at"] == at(2)
    assert run.ending["ended_at"] == at(12)


def test_an_event_time_before_the_call_answered_falls_back_to_orchestration_time() -> None:
    early = event("CallDisconnected", after=10, time=at(0.5))
    run = drive(call_input(), [CONNECTED, early])
    assert run.ending["ended_at"] == at(12)


def test_max_duration_hangs_up_a_connected_call() -> None:
    run = drive(call_input(max_call_seconds=600), [CONNECTED])
    assert run.names() == [act.SET_STATUS, act.HANG_UP, act.FINALIZE_CALL]
    assert run.ending["outcome"] == "completed" and run.ending["reason"] == "max_duration"
    assert run.ending["ended_at"] == at(602)


def test_a_connected_call_waits_for_the_bridges_last_events_before_the_record() -> None:
    media = event("MediaStreamingStarted", after=1)
    disconnected = event("CallDisconnected", after=30, time=at(33))
    media_ended = event("media_ended", after=2, reason="caller_hung_up")
    run = drive(call_input(), [CONNECTED, media, disconnected, media_ended])
    assert run.names() == [act.SET_STATUS, act.FINALIZE_CALL]
    assert run.ending["ended_at"] == at(33)  # the hang-up, not the end of the wait
    assert run.context.now == START + timedelta(seconds=35)  # finalised when media_ended arrived


def test_the_wait_for_the_bridge_is_bounded() -> None:
    media = event("MediaStreamingStarted", after=1)
    disconnected = event("CallDisconnected", after=30)
    run = drive(call_input(), [CONNECTED, media, disconnected])
    assert run.context.now == START + timedelta(seconds=33 + MEDIA_END_WAIT_SECONDS)
    assert run.ending["reason"] == "caller_hung_up"


def test_escalation_holds_then_transfers_and_ends_transferred() -> None:
    escalate = event("escalate", after=20, reason="billing dispute", summary="wants a refund")
    accepted = event("CallTransferAccepted", after=HOLD_SECONDS + 5)  # `after` counts from the previous event
    run = drive(call_input(), [CONNECTED, escalate, accepted])
    assert run.names() == [act.SET_STATUS, act.SET_STATUS, act.TRANSFER_CALL, act.FINALIZE_CALL]
    assert run.inputs(act.SET_STATUS)[1] == {"call_id": "call-1", "status": "transferring"}
    transfer = run.inputs(act.TRANSFER_CALL)[0]
    assert transfer["reason"] == "billing dispute" and transfer["call_connection_id"] == "conn-in"
    assert run.ending["outcome"] == "transferred" and run.ending["reason"] == "billing dispute"
    assert run.ending["ended_at"] == at(2 + 20 + HOLD_SECONDS + 5)
    assert "transferring" in [s["state"] for s in run.context.statuses]


def test_a_disconnect_while_transferring_means_the_human_took_the_call() -> None:
    run = drive(call_input(), [CONNECTED, event("escalate", reason="r"), event("CallDisconnected", after=8)])
    assert run.ending["outcome"] == "transferred"


def test_failed_transfer_tells_the_agent_and_the_call_goes_on() -> None:
    script = [
        CONNECTED,
        event("escalate", after=10, reason="angry"),
        event("CallTransferFailed", after=5),
        event("end_call", after=30, reason="resolved"),
    ]
    run = drive(call_input(), script)
    assert run.names() == [
        act.SET_STATUS,
        act.SET_STATUS,
        act.TRANSFER_CALL,
        act.SET_STATUS,
        act.POST_NOTICE,
        act.HANG_UP,
        act.FINALIZE_CALL,
    ]
    assert run.inputs(act.SET_STATUS)[2] == {"call_id": "call-1", "status": "connected"}
    notice = run.inputs(act.POST_NOTICE)[0]
    assert notice["call_id"] == "call-1" and notice["notice"]["type"] == "transfer_failed"
    assert run.ending["outcome"] == "completed" and run.ending["reason"] == "resolved"


def test_a_transfer_nobody_answers_gives_up_after_the_wait() -> None:
    gives_up = 2 + HOLD_SECONDS + TRANSFER_WAIT_SECONDS
    script = [CONNECTED, event("escalate", reason="r"), event("end_call", after=gives_up - 2 + 1, reason="bye")]
    run = drive(call_input(max_call_seconds=3600), script)
    assert run.names()[2:] == [act.TRANSFER_CALL, act.SET_STATUS, act.POST_NOTICE, act.HANG_UP, act.FINALIZE_CALL]
    assert run.ending["reason"] == "bye"  # end_call was heard: the call was back with the agent


def test_escalation_refused_by_acs_or_without_humans_is_a_failed_transfer() -> None:
    # Out of hours the tool itself refuses (no escalate event; see tests/callcenter/tools/test_packs.py);
    # when the transfer cannot start (no target, ACS refuses) the agent is told the same way.
    refused = {act.TRANSFER_CALL: lambda _: {"ok": False, "error": "no human agent target configured"}}
    run = drive(call_input(), [CONNECTED, event("escalate", reason="r"), event("CallDisconnected", after=9)], refused)
    assert act.POST_NOTICE in run.names()
    assert run.ending["outcome"] == "completed" and run.ending["reason"] == "caller_hung_up"


def test_model_failure_escalates_and_ends_failed_when_nobody_takes_the_call() -> None:
    refused = {act.TRANSFER_CALL: lambda _: {"ok": False, "error": "transfer failed (500)"}}
    run = drive(call_input(), [CONNECTED, event("model_failed", after=3, reason="reconnect failed")], refused)
    assert run.names()[-2:] == [act.HANG_UP, act.FINALIZE_CALL]
    assert run.ending["outcome"] == "failed" and run.ending["reason"] == "model_failed"


def test_model_failure_with_a_human_available_is_transferred() -> None:
    run = drive(call_input(), [CONNECTED, event("model_failed", reason="lost"), event("CallTransferAccepted", after=4)])
    assert run.ending["outcome"] == "transferred" and run.ending["reason"] == "lost"


def test_end_call_says_goodbye_then_hangs_up() -> None:
    run = drive(call_input(), [CONNECTED, event("end_call", after=40, reason="all done")])
    assert run.names() == [act.SET_STATUS, act.HANG_UP, act.FINALIZE_CALL]
    assert run.ending == {
        "call_id": "call-1",
        "outcome": "completed",
        "reason": "all done",
        "ended_at": at(42 + GOODBYE_SECONDS),
    }


def test_caller_hanging_up_during_the_goodbye_needs_no_hang_up() -> None:
    run = drive(call_input(), [CONNECTED, event("end_call", reason="done"), event("CallDisconnected", after=1)])
    assert run.names() == [act.SET_STATUS, act.FINALIZE_CALL]
    assert run.ending["reason"] == "done"


def test_caller_hang_up_during_a_tool_call_ignores_the_late_control_event() -> None:
    # The caller hung up while escalate_to_human ran: its event arrives after CallDisconnected,
    # while the record waits for the bridge's last events.
    script = [
        CONNECTED,
        event("MediaStreamingStarted"),
        event("CallDisconnected", after=5),
        event("escalate", after=1, reason="late"),
        event("end_call", after=1, reason="late too"),
        event("media_ended", after=1, reason="caller_hung_up"),
    ]
    run = drive(call_input(), script)
    assert run.names() == [act.SET_STATUS, act.FINALIZE_CALL]
    assert run.ending["outcome"] == "completed" and run.ending["reason"] == "caller_hung_up"
    assert run.left == []


def test_caller_hang_up_while_on_hold_cancels_the_transfer() -> None:
    run = drive(call_input(), [CONNECTED, event("escalate", reason="r"), event("CallDisconnected", after=1)])
    assert act.TRANSFER_CALL not in run.names()
    assert run.ending["outcome"] == "completed" and run.ending["reason"] == "caller_hung_up"


def test_an_event_during_an_activity_is_handled_after_it() -> None:
    hang_up = event("CallDisconnected", during=act.START_RECORDING)
    run = drive(call_input(record_call=True), [CONNECTED, hang_up])
    assert run.names() == [act.SET_STATUS, act.START_RECORDING, act.FINALIZE_CALL]
    assert run.ending["reason"] == "caller_hung_up"


def test_redelivered_events_change_nothing() -> None:
    script = [
        CONNECTED,
        event("CallConnected", after=1),
        event("escalate", after=1, reason="first"),
        event("escalate", after=1, reason="again"),
        event("CallTransferAccepted", after=5),
        event("CallTransferAccepted", after=1),
    ]
    run = drive(call_input(), script)
    assert run.names().count(act.TRANSFER_CALL) == 1
    assert [s["status"] for s in run.inputs(act.SET_STATUS)] == ["connected", "transferring"]
    assert run.ending["reason"] == "first"


def test_out_of_order_events_are_ignored_until_they_make_sense() -> None:
    script = [
        event("MediaStreamingStarted", after=1),  # before CallConnected: still counts
        event("CallTransferAccepted", after=1),  # no transfer under way: ignored
        event("end_call", after=1, reason="too early"),  # not connected yet: ignored
        CONNECTED,
        event("media_ended", after=10, reason="caller_hung_up"),  # before ACS's CallDisconnected
        event("CallDisconnected", after=1),
    ]
    run = drive(call_input(), script)
    assert run.names() == [act.SET_STATUS, act.FINALIZE_CALL]  # no goodbye, no hang-up
    assert run.ending["outcome"] == "completed" and run.ending["reason"] == "caller_hung_up"
    assert run.context.now == START + timedelta(seconds=16)  # media had ended: no wait for the bridge


def test_unknown_or_unreadable_events_are_ignored() -> None:
    run = drive(call_input(), [event("Nonsense"), CONNECTED, event("CallDisconnected", after=1)])
    assert run.ending["reason"] == "caller_hung_up"


def test_bridge_losing_the_model_or_audio_hangs_up() -> None:
    run = drive(call_input(), [CONNECTED, event("media_ended", after=9, reason="model_closed")])
    assert run.names() == [act.SET_STATUS, act.HANG_UP, act.FINALIZE_CALL]
    assert run.ending["reason"] == "model_closed"


def test_campaign_voicemail_with_a_message_ends_as_voicemail_after_the_message() -> None:
    call = call_input("outbound", voicemail_policy="leave_message")
    script = [
        CONNECTED,
        event("voicemail", after=3, reason="machine"),
        event("end_call", after=20, reason="message left"),
    ]
    run = drive(call, script)
    assert run.ending["outcome"] == "voicemail" and run.ending["reason"] == "message left"


def test_campaign_voicemail_without_a_message_hangs_up_after_the_goodbye() -> None:
    run = drive(call_input("outbound"), [CONNECTED, event("voicemail", after=3, reason="machine")])
    assert run.names()[-2:] == [act.HANG_UP, act.FINALIZE_CALL]
    assert run.ending["outcome"] == "voicemail"


def test_max_duration_during_a_transfer_lets_the_transfer_finish() -> None:
    script = [CONNECTED, event("escalate", after=590, reason="r"), event("CallTransferAccepted", after=20)]
    run = drive(call_input(max_call_seconds=600), script)
    assert run.ending["outcome"] == "transferred"


def test_max_duration_during_a_failed_transfer_ends_the_call() -> None:
    script = [CONNECTED, event("escalate", after=590, reason="r"), event("CallTransferFailed", after=20)]
    run = drive(call_input(max_call_seconds=600), script)
    assert run.names()[-3:] == [act.POST_NOTICE, act.HANG_UP, act.FINALIZE_CALL]
    assert run.ending["reason"] == "max_duration"


def test_every_activity_input_is_plain_json() -> None:
    # drive() round-trips each input through JSON; an enum or datetime leaking in would fail there.
    run = drive(call_input(record_call=True), [CONNECTED, event("escalate", reason="r"), event("CallTransferFailed")])
    assert run.record["call_id"] == "call-1"

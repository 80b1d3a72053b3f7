"""Activities of `call_lifecycle`: every ACS operation and storage write of a call happens here."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import azure.durable_functions as df
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from callcenter import telemetry
from callcenter.calls import (
    ActivityResult,
    CallEnding,
    CallInput,
    CallStatus,
    NoticeInput,
    PlaceResult,
    StatusChange,
    TransferInput,
)
from callcenter.config import get_settings
from callcenter.errors import CallCenterError
from callcenter.openai_client import chat_completion
from callcenter.pricing import estimate_call_cost
from callcenter.store import calls as store
from callcenter.store import live, stats
from callcenter.telephony.acs_client import (
    call_automation_client,
    media_streaming,
    participant_identifier,
    phone_identifier,
)
from callcenter.telephony.tokens import callback_url

log = logging.getLogger("callcenter.calls")
bp = df.Blueprint()

PLACE_CALL = "place_call"
TRANSFER_CALL = "transfer_call"
HANG_UP = "hang_up"
SET_STATUS = "set_call_status"
POST_NOTICE = "post_call_notice"
FINALIZE_CALL = "finalize_call"
START_RECORDING = "start_recording"


async def connection_id(call: CallInput) -> str:
    """The call's ACS connection id: in the input for outbound calls; for inbound calls the answer
    happens after the orchestration starts, so it is read from the record."""
    known = call.get("call_connection_id")
    if known:
        return str(known)
    return (await store.get_call(get_settings(), call["call_id"])).call_connection_id


def participant(target: str) -> Any:
    """A phone number, or an ACS user id (`8:acs:...`) for a human agent on a Teams/ACS client."""
    return participant_identifier(target)


@bp.activity_trigger(input_name="call")
async def place_call(call: CallInput) -> PlaceResult:
    acs = get_settings().require_acs()
    call_id = call["call_id"]
    try:
        async with call_automation_client(acs) as client:
            properties = await client.create_call(
                phone_identifier(call["to_number"]),
                callback_url(acs, call_id),
                source_caller_id_number=phone_identifier(acs.phone_number),
                media_streaming=media_streaming(acs, call_id),
                operation_context=call_id,
            )
    except HttpResponseError as exc:
        log.warning("call %s: create_call failed (%s)", call_id, exc.status_code)
        return {"ok": False, "error": f"create_call failed ({exc.status_code})"}
    await store.update_call(
        get_settings(),
        call_id,
        call_connection_id=properties.call_connection_id,
        server_call_id=properties.server_call_id or "",
    )
    log.info("call %s: placed, connection %s", call_id, properties.call_connection_id)
    return {
        "ok": True,
        "call_connection_id": properties.call_connection_id or "",
        "server_call_id": properties.server_call_id or "",
    }


@bp.activity_trigger(input_name="call")
async def transfer_call(call: TransferInput) -> ActivityResult:
    settings = get_settings()
    acs = settings.require_acs()
    target = settings.human_agent_target
    if not target:
        return {"ok": False, "error": "no human agent target configured"}
    try:
        async with call_automation_client(acs) as client:
            connection = client.get_call_connection(await connection_id(call))
            await connection.transfer_call_to_participant(participant(target), operation_context=call["call_id"])
    except HttpResponseError as exc:
        log.warning("call %s: transfer failed to start (%s)", call["call_id"], exc.status_code)
        return {"ok": False, "error": f"transfer failed ({exc.status_code})"}
    await store.update_call(settings, call["call_id"], transfer_target=target)
    log.info("call %s: transferring to a human agent", call["call_id"])
    return {"ok": True}


@bp.activity_trigger(input_name="call")
async def hang_up(call: CallInput) -> ActivityResult:
    connection = await connection_id(call)
    if not connection:
        return {"ok": False, "error": "no call connection"}
    try:
        async with call_automation_client(get_settings().require_acs()) as client:
            await client.get_call_connection(connection).hang_up(is_for_everyone=True)
    except ResourceNotFoundError:
        return {"ok": True, "already_ended": True}
    except HttpResponseError as exc:
        log.warning("call %s: hang up failed (%s)", call["call_id"], exc.status_code)
        return {"ok": False, "error": f"hang up failed ({exc.status_code})"}
    return {"ok": True}


@bp.activity_trigger(input_name="call")
async def start_recording(call: CallInput) -> ActivityResult:
    """Record the call (the agent's greeting carried the consent notice); keep the recording id."""
    settings = get_settings()
    server_call_id = call.get("server_call_id") or (await store.get_call(settings, call["call_id"])).server_call_id
    if not server_call_id:
        return {"ok": False, "error": "no server call id"}
    try:
        async with call_automation_client(settings.require_acs()) as client:
            recording = await client.start_recording(server_call_id=server_call_id)
    except HttpResponseError as exc:
        log.warning("call %s: recording did not start (%s)", call["call_id"], exc.status_code)
        return {"ok": False, "error": f"recording failed ({exc.status_code})"}
    location = f"{store.RECORDING_PREFIX}{recording.recording_id}"
    await store.update_call(settings, call["call_id"], recording_location=location)
    log.info("call %s: recording %s", call["call_id"], recording.recording_id)
    return {"ok": True, "recording_location": location}


@bp.activity_trigger(input_name="change")
async def set_call_status(change: StatusChange) -> None:
    fields = {k: v for k, v in change.items() if k != "call_id"}
    await store.update_call(get_settings(), change["call_id"], **fields)
    if fields.get("answered_at"):  # connected: on the live view from now on
        await live.mark_live(get_settings(), await store.get_call(get_settings(), change["call_id"]))


@bp.activity_trigger(input_name="notice")
async def post_call_notice(notice: NoticeInput) -> None:
    await store.add_notice(get_settings(), notice["call_id"], notice["notice"])


def _usage_totals(events: list[dict[str, Any]]) -> dict[str, int]:
    totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    for event in events:
        if event.get("type") == "usage":
            usage = event.get("usage") or {}
            for key in totals:
                value = usage.get(key, 0)
                totals[key] += int(value) if isinstance(value, int | float) else 0
    return totals


def _usage_by_backend(events: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Usage events grouped by their `backend` (absent on older records: Realtime)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if event.get("type") == "usage":
            backend = "voice-live" if event.get("backend") == "voice-live" else "realtime"
            grouped.setdefault(backend, []).append(event)
    return {backend: _usage_totals(group) for backend, group in grouped.items()}


def _seconds_between(start: str, end: str) -> float:
    try:
        return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())
    except ValueError:
        return 0.0


async def _summarise(transcript: list[dict[str, Any]]) -> str:
    settings = get_settings()
    realtime = settings.realtime
    if realtime is None or not realtime.summary_deployment or not transcript:
        return ""
    lines = "\n".join(f"{line['role']}: {line['text']}" for line in transcript)
    messages = [
        {
            "role": "system",
            "content": "Summarise this call for a contact-center record in three short lines: "
            "Reason: ..., Resolution: ..., Follow-up: ...",
        },
        {"role": "user", "content": lines[:12000]},
    ]
    try:
        return await chat_completion(realtime, realtime.summary_deployment, messages)
    except CallCenterError as exc:
        log.warning("summary failed: %s", exc.message)
        return ""


@bp.activity_trigger(input_name="ending")
@telemetry.traced_activity
async def finalize_call(ending: CallEnding) -> dict[str, Any]:
    """Write the final record: outcome, duration, token usage, estimated cost and summary."""
    settings = get_settings()
    call_id = ending["call_id"]
    record = await store.get_call(settings, call_id)
    events = await store.call_events(settings, call_id)
    usage = _usage_totals(events)
    duration = _seconds_between(record.answered_at, ending["ended_at"]) if record.answered_at else 0.0
    # Tokens are priced by the backend that used them (a call may change backend on a handoff).
    cost = estimate_call_cost(settings, duration, 0, 0) + sum(
        estimate_call_cost(settings, 0.0, used["input_tokens"], used["output_tokens"], backend=backend)
        for backend, used in _usage_by_backend(events).items()
    )
    transcript = [e for e in events if e.get("type") == "transcript"]
    summary = await _summarise(transcript)
    changes = {
        "status": CallStatus.ENDED,
        "outcome": ending["outcome"],
        "reason": ending["reason"],
        "ended_at": ending["ended_at"],
        "duration_s": round(duration, 1),
        "usage": usage,
        "tool_calls": sum(1 for e in events if e.get("type") == "tool_call"),
        "estimated_cost": round(cost, 4),
        "summary": summary,
    }
    await store.update_call(settings, call_id, **changes)
    await stats.count_ended(settings, [stats.ended_conversation({**record.view(), **changes}, events)])
    await live.end_live(settings, call_id)
    log.info("call %s: ended %s (%s) after %.1f s", call_id, ending["outcome"], ending["reason"], duration)
    telemetry.record_outcome(ending["outcome"], record.direction)
    return {"call_id": call_id, **changes}

"""Activities of the `campaign` orchestration: every table read and write of a campaign happens here.

Time always comes from the orchestration (`now` in the input), never from the wall clock, so calling
windows and retry times follow the orchestration's clock (a virtual one in tests).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import azure.durable_functions as df

from callcenter.calls import Direction
from callcenter.campaigns.model import CampaignSettings, fill, settings_from_json
from callcenter.campaigns.pacing import Bucket, bucket_of_call
from callcenter.config import Settings, get_settings
from callcenter.errors import Conflict
from callcenter.phone_numbers import mask_number
from callcenter.store import campaigns as store
from callcenter.store.calls import CallRecord, campaign_call_id
from callcenter.store.donotcall import listed
from callcenter.store.tables import CALLS, table
from callcenter.telephony.calls import orchestration_input

log = logging.getLogger("callcenter.campaigns")
bp = df.Blueprint()

CLAIM_CALLS = "campaign_claim_calls"
RECORD_OUTCOMES = "campaign_record_outcomes"
FINISH = "campaign_finish"
# A claim examines at most this many queue rows: each needs up to 3 operations, and one transaction
# (with the counters and the journal row) holds at most 100.
CLAIM_BATCH = 30
RECORD_CHUNK = 30
COMMIT_TRIES = 3
VOICEMAIL_CUE = (
    "If a machine answers instead of a person (a greeting such as 'leave a message after the tone', "
    "'you have reached the voicemail of', or a beep), use voicemail_detected at once."
)

_settings_cache: dict[str, tuple[str, CampaignSettings]] = {}


async def _campaign(settings: Settings, campaign_id: str, *, status: bool = True) -> tuple[str, str, CampaignSettings]:
    """(status, agent, settings) of the campaign. Settings never change, so they are read once per
    process; the status is read each time it is asked for (`status=False` skips that read)."""
    cached = _settings_cache.get(campaign_id)
    if cached is None or status:
        meta = await store.campaign_meta(settings, campaign_id)
        if cached is None:
            cached = (meta["agent"], settings_from_json(meta["settings"]))
            _settings_cache[campaign_id] = cached
        return meta["status"], cached[0], cached[1]
    return "", cached[0], cached[1]


def _call_context(row: Any, campaign_name: str, cs: CampaignSettings) -> dict[str, str]:
    """What the agent is told about this call: the contact's variables, the goal, the voicemail policy."""
    variables = json.loads(row.get("variables") or "{}")
    values = {"name": row.get("name", ""), "phone": row["phone"], **variables, "campaign": campaign_name}
    goal = fill(cs.script, values) if cs.script else ""
    context = {"name": values["name"], **variables, "campaign": campaign_name}
    if goal:
        context["goal"] = goal
    context["voicemail_policy"] = cs.voicemail_policy.value
    context["voicemail_message"] = fill(cs.voicemail_message, {**values, "goal": goal})
    context["on_voicemail"] = VOICEMAIL_CUE
    return {k: str(v)[:500] for k, v in context.items() if v != ""}


def _final_bucket(row: Any) -> Bucket:
    last = row.get("last_outcome")
    return Bucket(last) if last else Bucket.NOT_CALLED


def _no_moves() -> dict[str, int]:
    return {b.value: 0 for b in Bucket}


@dataclass
class _Claim:
    """The operations of one claim on a slice, and what it found."""

    ops: list[Any] = field(default_factory=list)
    moves: dict[str, int] = field(default_factory=_no_moves)  # counter changes by bucket
    claimed: list[dict[str, Any]] = field(default_factory=list)
    requeued: list[datetime] = field(default_factory=list)  # window closed: queued again for when it opens
    next_due: int | None = None  # epoch seconds of the slice's earliest queue row after the claim


async def _plan_claim(
    settings: Settings, part: str, campaign_id: str, cs: CampaignSettings, now: datetime, limit: int
) -> _Claim:
    """Claim up to `limit` due contacts of a slice, checking each one's window and the do-not-call list."""
    keys = await store.queue_head(settings, part, CLAIM_BATCH + 1)
    due = [key for key in keys if store.queue_time(key) <= now][:CLAIM_BATCH]
    rows = await store.read_rows(settings, part, sorted({k.split("|", 1)[1] for k in due}))
    blocked = await listed(settings, (row["phone"] for row in rows.values()))
    claim = _Claim()
    examined = 0
    for key in due:
        contact = key.split("|", 1)[1]
        row = rows.get(contact)
        if row is not None and row.get("bucket") == Bucket.PENDING and len(claim.claimed) >= limit:
            break
        examined += 1
        claim.ops.append(("delete", {"PartitionKey": part, "RowKey": key}))
        if row is None or row.get("bucket") != Bucket.PENDING:
            continue  # a stale queue row: the contact moved on
        _claim_contact(claim, part, campaign_id, cs, now, contact, row, blocked)
    waiting = [store.queue_time(k) for k in keys[examined:]] + claim.requeued
    claim.next_due = int(min(waiting).timestamp()) if waiting else None
    return claim


def _claim_contact(
    claim: _Claim,
    part: str,
    campaign_id: str,
    cs: CampaignSettings,
    now: datetime,
    contact: str,
    row: Any,
    blocked: set[str],
) -> None:
    change: dict[str, Any] = {"PartitionKey": part, "RowKey": contact}
    final: Bucket | None = None
    if not cs.window.is_open(now, row["time_zone"]):
        opens = cs.window.next_open(now, row["time_zone"])
        if opens is None:
            final = _final_bucket(row)
        else:
            claim.ops.append(("upsert", {"PartitionKey": part, "RowKey": store.queue_key(opens, contact)}))
            claim.requeued.append(opens)
            change["due_at"] = opens.isoformat()
    elif row["phone"] in blocked:
        final = Bucket.DO_NOT_CALL
    else:
        attempt = int(row.get("attempts", 0)) + 1
        call_id = campaign_call_id(campaign_id, int(contact[1:]), attempt)
        change.update(
            bucket=Bucket.IN_PROGRESS.value,
            attempts=attempt,
            call_id=call_id,
            call_ids=json.dumps([*json.loads(row.get("call_ids") or "[]"), call_id]),
            last_attempt_at=now.isoformat(),
            due_at="",
        )
        claim.moves[Bucket.PENDING] -= 1
        claim.moves[Bucket.IN_PROGRESS] += 1
        claim.claimed.append({"contact": contact, "call_id": call_id, "attempt": attempt, "row": dict(row)})
    if final is not None:
        change.update(bucket=final.value, due_at="")
        claim.moves[Bucket.PENDING] -= 1
        claim.moves[final] += 1
    claim.ops.append(store.merge(change, row.metadata["etag"]))


async def _write_call_records(settings: Settings, records: list[CallRecord]) -> None:
    """Create the claimed calls' records: a transaction per partition (one or two; retries overwrite)."""
    by_partition: dict[str, list[Any]] = {}
    for record in records:
        entity = record.to_entity()
        by_partition.setdefault(entity["PartitionKey"], []).append(("upsert", entity))
    async with table(settings, CALLS) as calls:
        await asyncio.gather(*(calls.submit_transaction(ops) for ops in by_partition.values()))


def _record(
    settings: Settings, campaign_id: str, agent: str, cs: CampaignSettings, call_id: str, row: Any, now: str
) -> CallRecord:
    return CallRecord(
        call_id=call_id,
        direction=Direction.OUTBOUND,
        agent=agent,
        from_number=settings.acs.phone_number if settings.acs else "",
        to_number=row["phone"],
        started_at=now,
        campaign_id=campaign_id,
        context=_call_context(row, cs.name, cs),
    )


@bp.activity_trigger(input_name="request")
async def campaign_claim_calls(request: dict[str, Any]) -> dict[str, Any]:
    """Claim a slice's next due contacts (window and do-not-call checked now) and prepare their calls.

    The claim and its journal row commit together, so running again (after a crash) returns the
    same calls instead of claiming new attempts. `next_due` is the slice's earliest queued contact
    afterwards: only this orchestration changes the queue, so it stays exact until its next step.
    """
    settings = get_settings()
    campaign_id, claim_key, slice_ = request["campaign_id"], request["claim_key"], int(request["slice"])
    part = store.partition(campaign_id, slice_)
    now = datetime.fromisoformat(request["now"])
    status, agent, cs = await _campaign(settings, campaign_id)
    result = await store.journal(settings, part, claim_key)
    records: list[CallRecord] = []
    if result is not None:
        rows = await store.read_rows(settings, part, [c["contact"] for c in result["claimed"]])
        records = [
            _record(settings, campaign_id, agent, cs, c["call_id"], rows[c["contact"]], request["now"])
            for c in result["claimed"]
        ]
    elif status != "running":
        return {"status": status, "claimed": [], "next_due": request.get("due")}
    else:
        limit = max(1, min(int(request["limit"]), CLAIM_BATCH))
        for _ in range(COMMIT_TRIES):
            claim = await _plan_claim(settings, part, campaign_id, cs, now, limit)
            records = [
                _record(settings, campaign_id, agent, cs, c["call_id"], c["row"], request["now"]) for c in claim.claimed
            ]
            calls = [
                {
                    "contact": c["contact"],
                    "call_id": c["call_id"],
                    "input": {**orchestration_input(settings, r), "voicemail_policy": cs.voicemail_policy.value},
                }
                for c, r in zip(claim.claimed, records, strict=True)
            ]
            result = {"status": status, "claimed": calls, "next_due": claim.next_due}
            journal_row = {"PartitionKey": part, "RowKey": "j" + claim_key, "result": json.dumps(result)}
            if await store.commit(settings, part, claim.ops, claim.moves, [("upsert", journal_row)]):
                break
        else:
            raise Conflict("campaign contacts kept changing during the claim", code="claim_conflict")
    await _write_call_records(settings, records)
    for record in records:
        log.info("call %s: campaign %s dials %s", record.call_id, campaign_id, mask_number(record.to_number))
    return result


@bp.activity_trigger(input_name="request")
async def campaign_record_outcomes(request: dict[str, Any]) -> dict[str, Any]:
    """Fold finished calls into their contacts: a retry at the next open window time, or a final bucket.

    Returns, per slice that queued a retry, the earliest retry time (epoch seconds), for the
    orchestration's map of when each slice is next due.
    """
    settings = get_settings()
    campaign_id = request["campaign_id"]
    now = datetime.fromisoformat(request["now"])
    _, _, cs = await _campaign(settings, campaign_id, status=False)
    by_slice: dict[int, list[dict[str, Any]]] = {}
    for result in request["results"]:
        by_slice.setdefault(store.slice_of(result["contact"]), []).append(result)
    recorded = 0
    retries: dict[int, int] = {}
    for slice_, results in sorted(by_slice.items()):
        part = store.partition(campaign_id, slice_)
        for start in range(0, len(results), RECORD_CHUNK):
            chunk = results[start : start + RECORD_CHUNK]
            for _ in range(COMMIT_TRIES):
                plan = await _plan_outcomes(settings, part, cs, now, chunk)
                if not plan.ops or await store.commit(settings, part, plan.ops, plan.moves, []):
                    recorded += plan.count
                    if plan.retries:
                        earliest = int(min(plan.retries).timestamp())
                        retries[slice_] = min(retries.get(slice_, earliest), earliest)
                    break
            else:
                raise Conflict("campaign contacts kept changing while recording outcomes", code="record_conflict")
    return {"recorded": recorded, "retries": sorted(retries.items())}


@dataclass
class _Outcomes:
    """The operations that record a chunk of finished calls of one slice."""

    ops: list[Any] = field(default_factory=list)
    moves: dict[str, int] = field(default_factory=_no_moves)
    count: int = 0
    retries: list[datetime] = field(default_factory=list)  # when the retried contacts are due


async def _plan_outcomes(
    settings: Settings, part: str, cs: CampaignSettings, now: datetime, chunk: list[dict[str, Any]]
) -> _Outcomes:
    rows = await store.read_rows(settings, part, [r["contact"] for r in chunk])
    live = [
        (result, rows[result["contact"]])
        for result in chunk
        if result["contact"] in rows
        and rows[result["contact"]].get("bucket") == Bucket.IN_PROGRESS
        and rows[result["contact"]].get("call_id") == result["call_id"]
    ]  # the others were recorded already (an activity that ran again)
    plan = _Outcomes()
    retry_at: dict[str, datetime | None] = {}
    for result, row in live:
        retry = cs.retry.retry_at(bucket_of_call(result["outcome"]), int(row.get("attempts", 0)), now)
        retry_at[result["contact"]] = cs.window.next_open(retry, row["time_zone"]) if retry else None
    # the do-not-call list is read only for contacts that would be called again
    blocked = await listed(settings, (row["phone"] for result, row in live if retry_at[result["contact"]]))
    for result, row in live:
        outcome = bucket_of_call(result["outcome"])
        change: dict[str, Any] = {"PartitionKey": part, "RowKey": result["contact"], "last_outcome": outcome}
        opens = retry_at[result["contact"]]
        if row["phone"] in blocked:
            bucket = Bucket.DO_NOT_CALL
        elif opens is not None:
            bucket = Bucket.PENDING
            change["due_at"] = opens.isoformat()
            plan.ops.append(("upsert", {"PartitionKey": part, "RowKey": store.queue_key(opens, result["contact"])}))
            plan.retries.append(opens)
        else:
            bucket = outcome
        change["bucket"] = bucket.value
        plan.moves[Bucket.IN_PROGRESS] -= 1
        plan.moves[bucket] += 1
        plan.count += 1
        plan.ops.append(store.merge(change, row.metadata["etag"]))
        log.info("call %s: ended %s; contact now %s", result["call_id"], result["outcome"], bucket.value)
    return plan


@bp.activity_trigger(input_name="request")
async def campaign_finish(request: dict[str, Any]) -> str:
    """Mark the campaign completed or cancelled (a cancel that raced a completion stays cancelled)."""
    status = request["status"]
    allowed = {"running", "paused"} if status == "completed" else {"running", "paused", "cancelled"}
    try:
        await store.change_status(get_settings(), request["campaign_id"], status, allowed)
    except Conflict:
        return await store.campaign_status(get_settings(), request["campaign_id"])
    log.info("campaign %s: %s", request["campaign_id"], status)
    return str(status)

"""Activities of the `campaign` orchestration: every table read and write of a campaign happens here.

Time always comes from the orchestration (`now` in the input), never from the wall clock, so calling
windows and retry times follow the orchestration's clock (a virtual one in tests).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import azure.durable_functions as df

from callcenter.campaigns.model import CampaignSettings, fill, settings_from_json
from callcenter.campaigns.pacing import Bucket, bucket_of_call
from callcenter.config import Settings, get_settings
from callcenter.errors import Conflict
from callcenter.store import campaigns as store
from callcenter.store.calls import CallRecord, Direction
from callcenter.store.donotcall import listed
from callcenter.store.tables import CALLS, table
from callcenter.telephony.calls import mask_number, orchestration_input

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


async def _plan_claim(
    settings: Settings, campaign_id: str, cs: CampaignSettings, now: datetime, limit: int
) -> tuple[list[Any], dict[str, int], list[dict[str, Any]], bool]:
    """Operations that claim up to `limit` due contacts, plus the claimed ones and whether more are due."""
    keys = await store.due_queue(settings, campaign_id, now, CLAIM_BATCH)
    rows = await store.read_rows(settings, campaign_id, sorted({k.split("|", 1)[1] for k in keys}))
    blocked = await listed(settings, (row["phone"] for row in rows.values()))
    ops: list[Any] = []
    moves = {b.value: 0 for b in Bucket}
    claimed: list[dict[str, Any]] = []
    examined = 0
    for key in keys:
        contact = key.split("|", 1)[1]
        row = rows.get(contact)
        if row is not None and row.get("bucket") == Bucket.PENDING and len(claimed) >= limit:
            break
        examined += 1
        ops.append(("delete", {"PartitionKey": campaign_id, "RowKey": key}))
        if row is None or row.get("bucket") != Bucket.PENDING:
            continue  # a stale queue row: the contact moved on
        change: dict[str, Any] = {"PartitionKey": campaign_id, "RowKey": contact}
        final: Bucket | None = None
        if not cs.window.is_open(now, row["time_zone"]):
            opens = cs.window.next_open(now, row["time_zone"])
            if opens is None:
                final = _final_bucket(row)
            else:
                ops.append(("upsert", {"PartitionKey": campaign_id, "RowKey": store.queue_key(opens, contact)}))
                change["due_at"] = opens.isoformat()
        elif row["phone"] in blocked:
            final = Bucket.DO_NOT_CALL
        else:
            attempt = int(row.get("attempts", 0)) + 1
            call_id = f"{campaign_id}-{contact[1:]}-a{attempt}"
            change.update(
                bucket=Bucket.IN_PROGRESS.value,
                attempts=attempt,
                call_id=call_id,
                call_ids=json.dumps([*json.loads(row.get("call_ids") or "[]"), call_id]),
                last_attempt_at=now.isoformat(),
                due_at="",
            )
            moves[Bucket.PENDING] -= 1
            moves[Bucket.IN_PROGRESS] += 1
            claimed.append({"contact": contact, "call_id": call_id, "attempt": attempt, "row": dict(row)})
        if final is not None:
            change.update(bucket=final.value, due_at="")
            moves[Bucket.PENDING] -= 1
            moves[final] += 1
        ops.append(store.merge(change, row.metadata["etag"]))
    more = len(keys) >= CLAIM_BATCH or examined < len(keys)
    return ops, moves, claimed, more


async def _write_call_records(settings: Settings, records: list[CallRecord]) -> None:
    """Create the claimed calls' records (one partition, so in transactions of 100; retries overwrite)."""
    async with table(settings, CALLS) as calls:
        for start in range(0, len(records), 100):
            chunk = records[start : start + 100]
            await calls.submit_transaction([("upsert", r.to_entity()) for r in chunk])


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
    """Claim the next due contacts (window and do-not-call checked now) and prepare their calls.

    The claim and its journal row commit together, so running again (after a crash) returns the
    same calls instead of claiming new attempts.
    """
    settings = get_settings()
    campaign_id, claim_key = request["campaign_id"], request["claim_key"]
    now = datetime.fromisoformat(request["now"])
    status, agent, cs = await _campaign(settings, campaign_id)
    result = await store.journal(settings, campaign_id, claim_key)
    records: list[CallRecord] = []
    if result is not None:
        rows = await store.read_rows(settings, campaign_id, [c["contact"] for c in result["claimed"]])
        records = [
            _record(settings, campaign_id, agent, cs, c["call_id"], rows[c["contact"]], request["now"])
            for c in result["claimed"]
        ]
    elif status != "running":
        return {"status": status, "claimed": [], "more": False, "next_due": None}
    else:
        limit = max(1, min(int(request["limit"]), CLAIM_BATCH))
        for _ in range(COMMIT_TRIES):
            ops, moves, claimed, more = await _plan_claim(settings, campaign_id, cs, now, limit)
            records = [
                _record(settings, campaign_id, agent, cs, c["call_id"], c["row"], request["now"]) for c in claimed
            ]
            calls = [
                {
                    "contact": c["contact"],
                    "call_id": c["call_id"],
                    "input": {**orchestration_input(settings, r), "voicemail_policy": cs.voicemail_policy.value},
                }
                for c, r in zip(claimed, records, strict=True)
            ]
            result = {"status": status, "claimed": calls, "more": more}
            journal_row = {"PartitionKey": campaign_id, "RowKey": "j" + claim_key, "result": json.dumps(result)}
            if await store.commit(settings, campaign_id, ops, moves, [("upsert", journal_row)]):
                break
        else:
            raise Conflict("campaign contacts kept changing during the claim", code="claim_conflict")
    await _write_call_records(settings, records)
    for record in records:
        log.info("call %s: campaign %s dials %s", record.call_id, campaign_id, mask_number(record.to_number))
    due = await store.next_due(settings, campaign_id)
    return {**result, "next_due": due.isoformat() if due else None}


@bp.activity_trigger(input_name="request")
async def campaign_record_outcomes(request: dict[str, Any]) -> dict[str, Any]:
    """Fold finished calls into their contacts: a retry at the next open window time, or a final bucket."""
    settings = get_settings()
    campaign_id = request["campaign_id"]
    now = datetime.fromisoformat(request["now"])
    _, _, cs = await _campaign(settings, campaign_id, status=False)
    results: list[dict[str, Any]] = request["results"]
    recorded = 0
    for start in range(0, len(results), RECORD_CHUNK):
        chunk = results[start : start + RECORD_CHUNK]
        for _ in range(COMMIT_TRIES):
            ops, moves, count = await _plan_outcomes(settings, campaign_id, cs, now, chunk)
            if not ops or await store.commit(settings, campaign_id, ops, moves, []):
                recorded += count
                break
        else:
            raise Conflict("campaign contacts kept changing while recording outcomes", code="record_conflict")
    due = await store.next_due(settings, campaign_id)
    return {"recorded": recorded, "next_due": due.isoformat() if due else None}


async def _plan_outcomes(
    settings: Settings, campaign_id: str, cs: CampaignSettings, now: datetime, chunk: list[dict[str, Any]]
) -> tuple[list[Any], dict[str, int], int]:
    rows = await store.read_rows(settings, campaign_id, [r["contact"] for r in chunk])
    blocked = await listed(settings, (row["phone"] for row in rows.values()))
    ops: list[Any] = []
    moves = {b.value: 0 for b in Bucket}
    for result in chunk:
        row = rows.get(result["contact"])
        if row is None or row.get("bucket") != Bucket.IN_PROGRESS or row.get("call_id") != result["call_id"]:
            continue  # recorded already (an activity that ran again)
        outcome = bucket_of_call(result["outcome"])
        change: dict[str, Any] = {"PartitionKey": campaign_id, "RowKey": result["contact"], "last_outcome": outcome}
        retry = None if row["phone"] in blocked else cs.retry.retry_at(outcome, int(row.get("attempts", 0)), now)
        opens = cs.window.next_open(retry, row["time_zone"]) if retry else None
        if opens is not None:
            bucket = Bucket.PENDING
            change["due_at"] = opens.isoformat()
            queue_row = {"PartitionKey": campaign_id, "RowKey": store.queue_key(opens, result["contact"])}
            ops.append(("upsert", queue_row))
        else:
            bucket = Bucket.DO_NOT_CALL if row["phone"] in blocked else outcome
        change["bucket"] = bucket.value
        moves[Bucket.IN_PROGRESS] -= 1
        moves[bucket] += 1
        ops.append(store.merge(change, row.metadata["etag"]))
        log.info("call %s: ended %s; contact now %s", result["call_id"], result["outcome"], bucket.value)
    return ops, moves, sum(1 for op in ops if op[0] == "update")


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

"""The `campaign` orchestration: dials a campaign's contacts through `call_lifecycle`, within its limits.

One instance per campaign (instance id = campaign id). Each loop turn folds finished calls into
Table Storage (`record_outcomes`), then, while pacing allows, claims the next due contacts of the
slice due first (`claim_calls`: window and do-not-call checks at dial time, deterministic call ids)
and starts one `call_lifecycle` sub-orchestration per claimed contact, with the call id as instance
id. Otherwise it waits for whichever comes first: a call ending, a control event
(pause/resume/cancel), the per-minute limit freeing a slot, or the next contact becoming due (a
closed calling window is waited out with a durable timer). The state keeps when each slice of
contacts (see store/campaigns.py) is next due; only this orchestration changes the dial queue, so
the claims' and records' answers keep that map exact without querying the queue.

History bound: a generation dials at most DIALS_PER_GENERATION contacts and takes at most
STEPS_PER_GENERATION steps (a step is one activity, one wait, or one control event), then drains
its calls and continues as new. Every history event belongs to a step, a dial or an episode, so a
generation's history holds at most HISTORY_LIMIT events whatever the campaign size (control events
raised while the last calls drain add one event each). Time comes from the context only; all I/O is
in `campaign_activities`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df

from callcenter.campaigns.pacing import Pacing
from callcenter.orchestrations import campaign_activities as act

bp = df.Blueprint()

CAMPAIGN_ORCHESTRATOR = "campaign"
CONTROL_EVENT = "campaign_control"
CALL_ORCHESTRATOR = "call_lifecycle"
DIALS_PER_GENERATION = 50
STEPS_PER_GENERATION = 120
HISTORY_LIMIT = 4 + 7 * STEPS_PER_GENERATION + 4 * DIALS_PER_GENERATION
PAUSED_RECHECK = timedelta(hours=1)
FAILURE_BACKOFF = timedelta(minutes=5)
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=4)


def start_input(campaign_id: str, max_concurrent: int, max_calls_per_minute: int, slices: int) -> dict[str, Any]:
    """The first generation's input: every slice due at once (its contacts were queued as due now)."""
    return {
        "campaign_id": campaign_id,
        "pacing": {"max_concurrent": max_concurrent, "max_calls_per_minute": max_calls_per_minute},
        "due": [0] * slices,
        "generation": 0,
        "recent": [],
        "unrecorded": [],
        "paused": False,
    }


def _action(task: Any) -> str:
    """The control event's action; the SDK client delivers the payload as JSON text (see call_lifecycle)."""
    value = task.result
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return str(value)
    if isinstance(value, dict):
        return str(value.get("action", ""))
    return str(value or "")


def _outcome(task: Any, claim: dict[str, Any]) -> dict[str, Any]:
    """What `record_outcomes` needs about a finished call; a failed sub-orchestration counts as failed."""
    result = task.result if isinstance(task.result, dict) else {}
    return {
        "contact": claim["contact"],
        "call_id": claim["call_id"],
        "outcome": result.get("outcome") or "failed",
        "reason": str(result.get("reason") or ("call orchestration failed" if not result else ""))[:200],
    }


class _Run:
    """One generation's working state (rebuilt deterministically on every replay)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.campaign_id: str = state["campaign_id"]
        self.pacing = Pacing(**state["pacing"])
        self.generation: int = state.get("generation", 0)
        self.recent = [datetime.fromisoformat(t) for t in state.get("recent", [])]
        self.unrecorded: list[dict[str, Any]] = list(state.get("unrecorded", []))
        self.paused: bool = state.get("paused", False)
        self.due: list[int | None] = list(state["due"])  # per slice: epoch seconds of its first queued contact
        self.cancelled = False
        self.in_flight: dict[str, tuple[Any, dict[str, Any]]] = {}  # call id -> (task, claim)
        self.dials = 0
        self.steps = 0
        self.backoff_until: datetime | None = None  # after an activity failed for good
        self.claim_again = False  # the last claim filled its batch: claim again at once

    def due_slice(self, now: datetime) -> int | None:
        """The slice whose first queued contact is due earliest, if one is due at `now`."""
        due = [(at, index) for index, at in enumerate(self.due) if at is not None and at <= now.timestamp()]
        return min(due)[1] if due else None

    def next_due(self) -> datetime | None:
        """When the earliest queued contact of any slice is due (None: nobody is queued)."""
        waiting = [at for at in self.due if at is not None]
        return datetime.fromtimestamp(min(waiting), UTC) if waiting else None

    def queue_retries(self, retries: list[list[int]]) -> None:
        for slice_, at in retries:
            current = self.due[slice_]
            self.due[slice_] = at if current is None else min(current, at)

    def budget_left(self) -> bool:
        reserve = 2 * len(self.in_flight) + 4  # steps the drain may still need
        return self.dials < DIALS_PER_GENERATION and self.steps + reserve < STEPS_PER_GENERATION

    def next_state(self, now: datetime) -> dict[str, Any]:
        return {
            **self.state,
            "generation": self.generation + 1,
            "recent": [t.isoformat() for t in Pacing.keep(now, self.recent)],
            "unrecorded": self.unrecorded,
            "paused": self.paused,
            "due": self.due,
        }

    def apply(self, action: str) -> None:
        if action == "pause":
            self.paused = True
        elif action == "resume":
            self.paused = False
        elif action == "cancel":
            self.cancelled = True


def _claimable(run: _Run, now: datetime) -> int:
    if run.paused or run.cancelled or not run.budget_left() or run.unrecorded:
        return 0
    if run.backoff_until is not None and now < run.backoff_until:
        return 0
    if run.due_slice(now) is None:
        return 0
    allowed = run.pacing.allowed(now, len(run.in_flight), run.recent)
    return min(allowed, DIALS_PER_GENERATION - run.dials, act.CLAIM_BATCH)


def _deadline(run: _Run, now: datetime) -> datetime | None:
    """When to wake up even if no call ends and no control event arrives."""
    candidates: list[datetime] = []
    if run.backoff_until is not None and run.backoff_until > now:
        candidates.append(run.backoff_until)
    if run.cancelled or not run.budget_left():
        return min(candidates, default=None)
    if run.paused:
        return now + PAUSED_RECHECK if not run.in_flight else None
    if run.claim_again:
        candidates.append(now)
    wake = run.next_due()
    if wake is not None and wake > now:
        candidates.append(wake)
    elif wake is not None and len(run.in_flight) < run.pacing.max_concurrent:
        slot = run.pacing.next_slot(now, run.recent)
        if slot is not None:
            candidates.append(slot)
    return min(candidates, default=None)


@bp.orchestration_trigger(context_name="context")
def campaign(context: df.DurableOrchestrationContext) -> Any:
    run = _Run(context.get_input())
    control = context.wait_for_external_event(CONTROL_EVENT)
    while True:
        now = context.current_utc_datetime
        if control.is_completed:
            run.apply(_action(control))
            run.steps += 1
            control = context.wait_for_external_event(CONTROL_EVENT)
        for call_id, (task, claim) in list(run.in_flight.items()):
            if task.is_completed:
                del run.in_flight[call_id]
                run.unrecorded.append(_outcome(task, claim))
        if run.unrecorded and (run.backoff_until is None or now >= run.backoff_until):
            run.steps += 1
            try:
                recorded = yield context.call_activity_with_retry(
                    act.RECORD_OUTCOMES,
                    RETRY,
                    {"campaign_id": run.campaign_id, "now": now.isoformat(), "results": run.unrecorded},
                )
            except Exception:
                run.backoff_until = now + FAILURE_BACKOFF
                continue
            run.unrecorded = []
            run.backoff_until = None
            run.queue_retries(recorded.get("retries", []))
            continue
        if not run.in_flight and not run.unrecorded:
            if run.cancelled:
                yield context.call_activity_with_retry(
                    act.FINISH, RETRY, {"campaign_id": run.campaign_id, "status": "cancelled"}
                )
                return {"status": "cancelled", "generation": run.generation}
            if not run.budget_left():
                context.continue_as_new(run.next_state(now))
                return None
            if run.next_due() is None and not run.paused:
                yield context.call_activity_with_retry(
                    act.FINISH, RETRY, {"campaign_id": run.campaign_id, "status": "completed"}
                )
                return {"status": "completed", "generation": run.generation}
        wanted = _claimable(run, now)
        slice_ = run.due_slice(now)
        if wanted > 0 and slice_ is not None:  # _claimable is 0 without a due slice
            run.steps += 1
            try:
                claimed = yield context.call_activity_with_retry(
                    act.CLAIM_CALLS,
                    RETRY,
                    {
                        "campaign_id": run.campaign_id,
                        "claim_key": f"{context.instance_id}.{run.generation}.{run.steps}",
                        "slice": slice_,
                        "due": run.due[slice_],
                        "now": now.isoformat(),
                        "limit": wanted,
                    },
                )
            except Exception:
                run.backoff_until = now + FAILURE_BACKOFF
                continue
            status = claimed.get("status")
            run.paused = run.paused or status == "paused"
            run.cancelled = run.cancelled or status == "cancelled"
            for call in claimed.get("claimed", []):
                task = context.call_sub_orchestrator(CALL_ORCHESTRATOR, call["input"], call["call_id"])
                run.in_flight[call["call_id"]] = (task, {"contact": call["contact"], "call_id": call["call_id"]})
                run.recent.append(now)
                run.dials += 1
            run.due[slice_] = claimed.get("next_due")
            capacity = run.pacing.allowed(now, len(run.in_flight), run.recent) > 0 and run.budget_left()
            run.claim_again = capacity and run.due_slice(now) is not None
            if not run.in_flight and not run.claim_again:
                continue  # nothing to start: decide again (finish, wait for the window, ...)
        waits: list[Any] = [control, *(task for task, _ in run.in_flight.values())]
        deadline = _deadline(run, now)
        timer = context.create_timer(deadline) if deadline is not None else None
        if timer is not None:
            waits.append(timer)
        run.claim_again = False
        yield context.task_any(waits)
        run.steps += 1
        if timer is not None and not timer.is_completed:
            timer.cancel()
        elif timer is not None and run.paused and not run.in_flight:
            run.paused = False  # recheck: the claim re-reads the stored status

"""The daily retention run: personal data is kept `RETENTION_DAYS` and no longer.

A timer function (03:30 UTC every day) purges finished Durable instances created before the cutoff
(their history holds call inputs: numbers, transcripts' tool arguments), then the call records and
events that started before it, then tends the do-not-call list's keys: rows still keyed by the raw
number are re-keyed, and how many rows each hash key holds is logged, so an operator rotating
DNC_HASH_KEY knows when the previous key may go (docs/do-not-call.md). The do-not-call list itself
is never purged: it is a standing request, not call data.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import azure.durable_functions as df
import azure.functions as func

from callcenter.config import get_settings
from callcenter.store import donotcall
from callcenter.store.retention import purge_calls_before

log = logging.getLogger("callcenter.retention")

bp = df.Blueprint()

# NCRONTAB, six fields, seconds first (Azure Functions timer trigger): every day at 03:30:00 UTC.
SCHEDULE = "0 30 3 * * *"
# Instances from before this are out of any retention window; the purge API needs a lower bound.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
FINISHED = [
    df.OrchestrationRuntimeStatus.Completed,
    df.OrchestrationRuntimeStatus.Failed,
    df.OrchestrationRuntimeStatus.Terminated,
    df.OrchestrationRuntimeStatus.Canceled,
]


@bp.timer_trigger(schedule=SCHEDULE, arg_name="timer", run_on_startup=False, use_monitor=True)
@bp.durable_client_input(client_name="client")
async def purge_expired_data(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    """Purge durable history and call data older than RETENTION_DAYS; tend the do-not-call keys."""
    settings = get_settings()
    cutoff = datetime.now(UTC) - timedelta(days=settings.retention_days)
    purged = await client.purge_instance_history_by(
        created_time_from=EPOCH, created_time_to=cutoff, runtime_status=FINISHED
    )
    calls = await purge_calls_before(settings, cutoff)
    log.info(
        "retention: purged %d durable instances and %d calls (%d events) started before %s (RETENTION_DAYS=%d)",
        purged.instances_deleted,
        calls.calls,
        calls.events,
        cutoff.isoformat(timespec="seconds"),
        settings.retention_days,
    )
    if settings.dnc_hash_keys:
        migrated = await donotcall.migrate_raw_rows(settings)
        report = await donotcall.key_report(settings)
        log.info("retention: do-not-call rows per hash key id %s (%d re-keyed from raw numbers)", report, migrated)

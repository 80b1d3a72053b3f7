"""`GET /api/stats`: contact-center KPIs per hour or day, by agent and channel, from bucket counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import azure.durable_functions as df
import azure.functions as func

from callcenter import kpis
from callcenter.config import get_settings
from callcenter.endpoints.guards import BROWSER
from callcenter.endpoints.http import json_response
from callcenter.endpoints.routing import endpoint, query_parameter
from callcenter.errors import InvalidInput
from callcenter.store import stats

bp = df.Blueprint()

# The longest range per bucket: a year of days, a month (and a day) of hours.
MAX_RANGE = {stats.Bucket.DAY: timedelta(days=366), stats.Bucket.HOUR: timedelta(days=32)}
CHANNELS = ("phone", "web")
NAME_LIMIT = 64


def _moment(raw: str | None, name: str, default: datetime) -> datetime:
    if not raw:
        return default
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise InvalidInput(f"'{name}' must be an ISO 8601 date or date-time", code="bad_time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _name(req: func.HttpRequest, key: str) -> str | None:
    value = req.params.get(key) or None
    if value is not None and (len(value) > NAME_LIMIT or not value.replace("-", "").replace("_", "").isalnum()):
        raise InvalidInput(f"'{key}' must be a name of letters, digits, - and _", code="bad_filter")
    return value


@endpoint(
    bp,
    "stats",
    method="GET",
    summary="KPIs per hour or day: conversations, containment, transfers, handle time, cost, tools",
    tag="operations",
    parameters=(
        query_parameter("from", "ISO date-time, inclusive (default: 7 days before `to`)"),
        query_parameter("to", "ISO date-time, exclusive (default: now)"),
        query_parameter("agent", "only this agent"),
        query_parameter("channel", "phone or web", {"enum": list(CHANNELS)}),
        query_parameter("bucket", "hour or day (default day)", {"enum": ["hour", "day"]}),
    ),
    errors=(400, 401, 403, 503),
    guard=BROWSER,  # call data is personal
)
async def get_stats(req: func.HttpRequest) -> func.HttpResponse:
    bucket = req.params.get("bucket") or stats.Bucket.DAY
    if bucket not in MAX_RANGE:
        raise InvalidInput("'bucket' must be hour or day", code="bad_bucket")
    until = _moment(req.params.get("to"), "to", datetime.now(UTC))
    since = _moment(req.params.get("from"), "from", until - timedelta(days=7))
    if since >= until:
        raise InvalidInput("'from' must be before 'to'", code="bad_range")
    if until - since > MAX_RANGE[bucket]:
        raise InvalidInput(f"at most {MAX_RANGE[bucket].days} days per request with {bucket} buckets", code="bad_range")
    agent, channel = _name(req, "agent"), _name(req, "channel")
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput("'channel' must be phone or web", code="bad_filter")
    buckets = await stats.read_buckets(get_settings(), since, until, bucket, stats.dimension(agent, channel))
    body = {
        "from": since.isoformat(),
        "to": until.isoformat(),
        "bucket": bucket,
        "agent": agent,
        "channel": channel,
        **kpis.summarise(buckets),
    }
    return json_response(body)

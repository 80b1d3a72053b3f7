"""The Event Grid webhook of the Functions host: validation handshake and event delivery.

Event Grid posts an array of events (Event Grid schema) or CloudEvents to
`/runtime/webhooks/eventgrid?functionName=NAME&code=KEY`. A `SubscriptionValidation` delivery
(header `aeg-event-type`) is answered with the validation code, as the real host does.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import azure.functions as func

log = logging.getLogger("devstack.host")

VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"


class EventGridError(ValueError):
    """A delivery this endpoint refuses (bad JSON or an event missing its required fields)."""


def parse_delivery(body: bytes) -> list[dict[str, Any]]:
    """The events of one delivery: a JSON array, or a single object (CloudEvents binary/structured)."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EventGridError("delivery is not valid JSON") from None
    events = document if isinstance(document, list) else [document]
    if not events or not all(isinstance(e, dict) for e in events):
        raise EventGridError("delivery must be an event or an array of events")
    return events


def validation_response(events: list[dict[str, Any]]) -> dict[str, str] | None:
    """`{"validationResponse": code}` for a subscription validation delivery, else None."""
    for event in events:
        kind = event.get("eventType") or event.get("type")
        if kind == VALIDATION_EVENT:
            code = (event.get("data") or {}).get("validationCode")
            if not isinstance(code, str):
                raise EventGridError("validation event without validationCode")
            return {"validationResponse": code}
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def to_event(event: dict[str, Any]) -> func.EventGridEvent:
    """Either schema as the `EventGridEvent` the Python worker hands to an Event Grid trigger."""
    try:
        if "specversion" in event:  # CloudEvents 1.0
            return func.EventGridEvent(
                id=str(event["id"]),
                data=event.get("data") or {},
                topic=str(event.get("source", "")),
                subject=str(event.get("subject", "")),
                event_type=str(event["type"]),
                event_time=_time(event.get("time")),
                data_version=str(event.get("dataversion", "")),
            )
        return func.EventGridEvent(
            id=str(event["id"]),
            data=event.get("data") or {},
            topic=str(event.get("topic", "")),
            subject=str(event["subject"]),
            event_type=str(event["eventType"]),
            event_time=_time(event.get("eventTime")),
            data_version=str(event.get("dataVersion", "")),
        )
    except KeyError as exc:
        raise EventGridError(f"event is missing {exc.args[0]}") from None

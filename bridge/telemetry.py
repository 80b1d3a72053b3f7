"""OpenTelemetry for the bridge: one trace per call, metrics mirrored from `/metrics`.

Exported to Application Insights through the Azure Monitor distro only when
`APPLICATIONINSIGHTS_CONNECTION_STRING` is set; otherwise the OpenTelemetry API is a no-op. The
Prometheus `/metrics` endpoint stays the source the autoscaler and dashboards scrape.

One trace per call: the trace id is derived from the call id (first 16 bytes of SHA-256("call:" +
id)), exactly as the function app derives it (docs/internal-api.md), because ACS opens the media
socket without any trace context. Each internal request to the function app carries a W3C
`traceparent` naming the bridge's client span, so the function app's spans nest under it.

The per-frame path pays nothing extra: relay latency is sampled into OpenTelemetry once a second
per call (every 50th frame); counters are observed from `BridgeMetrics` at export time.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from opentelemetry import metrics, propagate, trace
from opentelemetry.context import Context
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, StatusCode, TraceFlags

from bridge.metrics import BridgeMetrics
from bridge.settings import BridgeSettings

log = logging.getLogger("bridge.telemetry")

tracer = trace.get_tracer("bridge")
RELAY_SAMPLE_EVERY = 50  # frames: one relay-latency sample per second of a call's audio


def configure(settings: BridgeSettings) -> bool:
    """Install the Azure Monitor exporter when a connection string is set; True if it was."""
    if not settings.appinsights_connection_string:
        return False
    from azure.monitor.opentelemetry import configure_azure_monitor  # heavy: only when exporting

    configure_azure_monitor(
        connection_string=settings.appinsights_connection_string,
        credential=_credential(settings.appinsights_authentication),
        logger_name="bridge",
    )
    log.info("telemetry: exporting traces and metrics to Application Insights")
    return True


def _credential(authentication: str) -> Any:
    """Entra ID for ingestion when asked for (`Authorization=AAD;ClientId=...`), as on Functions."""
    parts = dict(p.split("=", 1) for p in authentication.split(";") if "=" in p)
    if parts.get("Authorization", "").upper() != "AAD":
        return None
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=parts.get("ClientId") or None)


def call_context(call_id: str) -> Context:
    """A context whose (remote) parent is the call's root: trace id derived from the call id."""
    digest = hashlib.sha256(f"call:{call_id}".encode()).digest()
    trace_id = int.from_bytes(digest[:16], "big") or 1
    span_id = int.from_bytes(digest[16:24], "big") or 1
    parent = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    return trace.set_span_in_context(NonRecordingSpan(parent))


@contextlib.contextmanager
def call_span(call_id: str) -> Iterator[Span]:
    """The media session's span; tasks started inside inherit it (asyncio copies the context)."""
    attributes = {"call.id": call_id}
    with tracer.start_as_current_span(
        "media_session", context=call_context(call_id), kind=SpanKind.SERVER, attributes=attributes
    ) as span:
        yield span


@contextlib.contextmanager
def client_span(name: str, call_id: str, headers: dict[str, str]) -> Iterator[Span]:
    """A request to the function app; writes `traceparent` into `headers` for it to continue."""
    with tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes={"call.id": call_id}) as span:
        propagate.inject(headers)
        yield span


def record_status(span: Span, status: int | None) -> None:
    """Status of a client span: None (no answer) and 5xx are errors."""
    if status is not None:
        span.set_attribute("http.response.status_code", status)
    if status is None or status >= 500:
        span.set_status(StatusCode.ERROR)


class BridgeTelemetry:
    """OpenTelemetry instruments mirroring `BridgeMetrics` (no-ops unless an exporter is installed)."""

    def __init__(self, source: BridgeMetrics) -> None:
        meter = metrics.get_meter("bridge")
        self._source = source
        meter.create_observable_gauge(
            "bridge.calls.active", [self._observe_active], unit="{call}", description="Calls with an open media socket"
        )
        meter.create_observable_counter(
            "bridge.calls.started", [self._observe_started], unit="{call}", description="Media connections accepted"
        )
        self.relay_latency = meter.create_histogram(
            "bridge.relay.latency", unit="s", description="Caller frame time inside the bridge (sampled)"
        )
        self.tool_latency = meter.create_histogram("bridge.tool.latency", unit="s", description="Tool call round trip")
        self.escalations = meter.create_counter(
            "bridge.escalations", unit="{call}", description="Transfers to a human agent started by the agent"
        )
        self.calls_ended = meter.create_counter(
            "bridge.calls.ended", unit="{call}", description="Media sessions ended, by reason"
        )

    def _observe_active(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(self._source.active_calls)]

    def _observe_started(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(self._source.calls_total)]

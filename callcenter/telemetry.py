"""OpenTelemetry for the function app: one trace per call, exported to Application Insights.

Nothing is exported unless `APPLICATIONINSIGHTS_CONNECTION_STRING` is set; then the Azure Monitor
distro is installed once, on first use. Spans are also made when something else in the process has
installed an OpenTelemetry tracer provider (a test's in-memory exporter, a host's own set-up).
Otherwise nothing is done and OpenTelemetry is not even imported: importing it costs a few hundred
milliseconds (entry-point scans), which every cold Flex Consumption instance would pay.

One trace per call: a call's trace id is derived from its call id (first 16 bytes of
SHA-256("call:" + id)), the same way the bridge derives it, so every span of a call -- the bridge's
media session, its requests here, ACS callbacks, activities -- lands in one trace without ACS having
to carry any context. When a request carries a W3C `traceparent` (the bridge sends one on every
internal call) the span continues that exact parent instead.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

from callcenter.config import SettingError, get_settings

log = logging.getLogger("callcenter.telemetry")
T = TypeVar("T")

_exporting = False  # the Azure Monitor distro was installed by `configure`
_configured = False
_lock = threading.Lock()


def call_context(call_id: str) -> Any:
    """A context whose (remote) parent is the call's root: trace id derived from the call id."""
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    digest = hashlib.sha256(f"call:{call_id}".encode()).digest()
    trace_id = int.from_bytes(digest[:16], "big") or 1
    span_id = int.from_bytes(digest[16:24], "big") or 1
    parent = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    return trace.set_span_in_context(NonRecordingSpan(parent))


def _credential(authentication: str | None) -> Any:
    """Entra ID for ingestion when the platform says so (`Authorization=AAD;ClientId=...`)."""
    parts = dict(p.split("=", 1) for p in (authentication or "").split(";") if "=" in p)
    if parts.get("Authorization", "").upper() != "AAD":
        return None
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=parts.get("ClientId") or None)


def configure() -> None:
    """Install the Azure Monitor exporter once, if a connection string is configured."""
    global _configured, _exporting
    if _configured:
        return
    with _lock:
        if _configured:
            return
        _configured = True
        try:
            settings = get_settings()
        except SettingError:
            return  # reported by the endpoints themselves
        if not settings.appinsights_connection_string:
            return
        from azure.monitor.opentelemetry import configure_azure_monitor  # heavy: only when exporting

        configure_azure_monitor(
            connection_string=settings.appinsights_connection_string,
            credential=_credential(settings.appinsights_authentication),
            logger_name="callcenter",
        )
        _exporting = True
        log.info("telemetry: exporting traces and metrics to Application Insights")


def active() -> bool:
    """Whether spans go anywhere: our exporter, or a tracer provider someone else installed."""
    configure()
    if _exporting:
        return True
    trace = sys.modules.get("opentelemetry.trace")  # never imported here just to find out
    return trace is not None and not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def _parent(headers: Mapping[str, str] | None, call_id: str | None) -> Any:
    from opentelemetry import propagate, trace

    if headers is not None:
        extracted = propagate.extract(headers)
        if trace.get_current_span(extracted).get_span_context().is_valid:
            return extracted
    if trace.get_current_span().get_span_context().is_valid:
        return None  # already inside a span: nest under it
    return call_context(call_id) if call_id else None


@contextlib.contextmanager
def call_span(
    name: str, call_id: str | None, *, headers: Mapping[str, str] | None = None, server: bool = False, **attributes: Any
) -> Iterator[Any]:
    """A span of the call's trace (`call.id` set), or None when telemetry is off.

    Continues an incoming W3C `traceparent` if there is one; `server` marks an HTTP request span.
    """
    if not active():
        yield None
        return
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind

    values = {"call.id": call_id, **attributes} if call_id else attributes
    kind = SpanKind.SERVER if server else SpanKind.INTERNAL
    tracer = trace.get_tracer("callcenter")
    with tracer.start_as_current_span(name, context=_parent(headers, call_id), kind=kind, attributes=values) as span:
        yield span


def traced_activity(activity: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Run a call's activity (its one input names `call_id`) in a span of the call's trace.

    The wrapper keeps the activity's signature (`functools.wraps`), which is how the Functions
    worker binds the input by name.
    """

    @functools.wraps(activity)
    async def wrapper(*args: Any, **kwargs: Any) -> T:
        payload = next(iter((*args, *kwargs.values())), None)
        call_id = payload.get("call_id") if isinstance(payload, dict) else None
        with call_span(activity.__name__, str(call_id) if call_id else None):
            return await activity(*args, **kwargs)

    return wrapper


def record_status(span: Any, status: int) -> None:
    """Mark an HTTP server span with its status (5xx is an error; 4xx is the client's)."""
    if span is None:
        return
    from opentelemetry.trace import StatusCode

    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(StatusCode.ERROR)


def record_outcome(outcome: str, direction: str) -> None:
    """Count a finished call by outcome (metric `callcenter.calls.ended`)."""
    if active():
        _outcome_counter().add(1, {"outcome": outcome, "direction": direction})


@functools.cache
def _outcome_counter() -> Any:
    from opentelemetry import metrics

    meter = metrics.get_meter("callcenter")
    return meter.create_counter("callcenter.calls.ended", unit="{call}", description="Calls ended, by outcome")

"""OpenTelemetry across the bridge and the function app: one trace per call.

The real bridge and the real function app (in the local Functions host, records in Azurite) run in
this process with an in-memory span exporter; the Realtime simulator plays the model and a fake ACS
socket plays the caller. Nothing is exported anywhere else: no connection string is set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from bridge.server import BridgeServer
from bridge.settings import BridgeSettings, load_settings
from bridge.telemetry import configure
from callcenter.config import load_settings as load_app_settings
from callcenter.store import calls as store
from tests.bridge.harness import SECRET, Stack, acs_call, wait_until
from tests.bridge.test_relay import speak
from tests.conftest import FUNCTION_KEY
from tests.devstack.realtime.harness import API_KEY, running_simulator
from tests.support.azurite import run_azurite

SCENARIO = {
    "turns": [
        {
            "caller": "what is my balance",
            "agent": "One moment.",
            "tool_calls": [{"name": "get_account_balance", "arguments": {"account_id": "ACC-1001"}}],
            "after_tools": "Done.",
        }
    ]
}


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span this process ends, kept in memory (the global provider is set once per process)."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture(scope="module")
def tables() -> Iterator[str]:
    with run_azurite() as connection:
        yield connection


def call_trace_id(call_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"call:{call_id}".encode()).digest()[:16], "big")


def of_call(spans: InMemorySpanExporter, call_id: str) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if (s.attributes or {}).get("call.id") == call_id]


async def test_a_phone_call_is_one_trace_across_the_bridge_and_the_function_app(spans, tables, function_host) -> None:
    call_id = "in-trace-test-1"
    with function_host(CALLCENTER_TABLES_CONNECTION=tables) as base_url:
        app_settings = load_app_settings({"CALLCENTER_TABLES_CONNECTION": tables})
        await store.claim_call(
            app_settings, store.CallRecord(call_id, "inbound", "telecom", started_at=store.now_iso())
        )
        async with running_simulator(SCENARIO) as (simulator, simulator_url):
            settings = BridgeSettings(
                port=0,
                call_token_secret=SECRET,
                function_app_url=base_url,
                function_app_key=FUNCTION_KEY,
                openai_endpoint=simulator_url,
                openai_api_key=API_KEY,
                event_flush_seconds=0.2,
            )
            bridge = BridgeServer(settings)
            await bridge.start()
            try:
                stack = Stack(bridge, None, simulator)  # type: ignore[arg-type]
                async with acs_call(stack, call_id) as acs:
                    await wait_until(lambda: len(simulator.conversations) == 1)
                    conversation = simulator.conversations[0]
                    await wait_until(lambda: bool(conversation.items))  # the greeting
                    # The agent's server VAD needs 500 ms of quiet (the greeting may still be playing).
                    await speak(acs, silence=75)
                    await wait_until(lambda: any(i.text == "Done." for i in conversation.items.values()))
            finally:
                await bridge.drain()
                await bridge.aclose()
        await wait_until(lambda: any(s.name == "call_events" for s in of_call(spans, call_id)))

    found = of_call(spans, call_id)
    assert {s.context.trace_id for s in found} == {call_trace_id(call_id)}
    bridge_side = {s.name: s for s in found if s.instrumentation_scope and s.instrumentation_scope.name == "bridge"}
    app_side = [s for s in found if s.instrumentation_scope and s.instrumentation_scope.name == "callcenter"]
    assert {"media_session", "GET agent", "POST function-call", "POST events"} <= set(bridge_side)
    assert bridge_side["media_session"].kind is SpanKind.SERVER
    # The function app continued the bridge's traceparent: each of its spans is a child of a bridge request.
    client_ids = {s.context.span_id: s.name for s in bridge_side.values() if s.kind is SpanKind.CLIENT}
    parents = {s.name: client_ids.get(s.parent.span_id if s.parent else 0) for s in app_side}
    assert parents["call_agent"] == "GET agent"
    assert parents["call_function"] == "POST function-call"
    assert parents["call_events"] == "POST events"
    assert all(s.kind is SpanKind.SERVER for s in app_side)
    assert {s.attributes["http.response.status_code"] for s in app_side if s.attributes} <= {200, 202}


def test_nothing_is_exported_without_a_connection_string() -> None:
    settings = load_settings(
        {"CALL_TOKEN_SECRET": SECRET, "FUNCTION_APP_URL": "http://x", "AZURE_OPENAI_ENDPOINT": "http://y"}
    )
    assert settings.appinsights_connection_string == ""
    assert configure(settings) is False


def test_the_connection_string_is_read_by_the_bridge_settings() -> None:
    env = {
        "CALL_TOKEN_SECRET": SECRET,
        "FUNCTION_APP_URL": "http://x",
        "AZURE_OPENAI_ENDPOINT": "http://y",
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=00000000-0000-0000-0000-000000000000",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Authorization=AAD;ClientId=abc",
    }
    settings = load_settings(env)
    assert settings.appinsights_connection_string.startswith("InstrumentationKey=")
    assert settings.appinsights_authentication == "Authorization=AAD;ClientId=abc"

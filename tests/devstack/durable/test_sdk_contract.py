"""Contract tests: the history and action JSON of azure-functions-durable 1.7.0, pinned.

An SDK upgrade that changes the out-of-process protocol must fail here, loudly, before the engine
silently misbehaves. Histories are built with the engine's own event builders and fed to the SDK's
real orchestrator handler.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from typing import Any

import azure.durable_functions as df
import azure.functions as func
import pytest
from azure.durable_functions.models.actions.ActionType import ActionType as SdkActionType
from azure.durable_functions.models.history.HistoryEventType import HistoryEventType
from azure.durable_functions.orchestrator import Orchestrator

from devstack.durable import history as h
from devstack.durable.actions import ActionType, parse_failure, parse_state
from devstack.durable.api import client_binding
from devstack.durable.functions import OrchestrationContextBody

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def run(orchestrator: Any, events: list[dict[str, Any]], payload: Any = None) -> dict[str, Any]:
    body = {
        "history": events,
        "input": json.dumps(payload),
        "instanceId": "contract",
        "isReplaying": False,
        "parentInstanceId": None,
        "upperSchemaVersion": 1,
        "upperSchemaVersionNew": 3,
        "maximumShortTimerDuration": "6.00:00:00",
        "longRunningTimerIntervalDuration": "3.00:00:00",
    }
    return json.loads(Orchestrator.create(orchestrator)(OrchestrationContextBody(json.dumps(body))))


def start() -> list[dict[str, Any]]:
    return [
        h.orchestrator_started(T0),
        h.execution_started(T0, name="o", instance_id="contract", execution_id="e1", input_json=None),
    ]


def test_pinned_sdk_version_and_enums() -> None:
    assert version("azure-functions-durable") == "1.7.0"
    assert {e.name: e.value for e in HistoryEventType} == {e.name: e.value for e in h.EventType}
    assert {e.name: int(e.value) for e in SdkActionType} == {e.name: e.value for e in ActionType}


def test_every_action_shape() -> None:
    def orchestrator(context: df.DurableOrchestrationContext):
        yield context.call_activity("act", {"a": 1})
        yield context.call_activity_with_retry("flaky", df.RetryOptions(1500, 4), "x")
        short = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
        event = context.wait_for_external_event("approve")
        yield context.task_any([short, event])
        short.cancel()
        yield context.task_all(
            [
                context.call_sub_orchestrator("child", 5, instance_id="kid"),
                context.create_timer(context.current_utc_datetime + timedelta(days=8)),
            ]
        )
        context.continue_as_new({"round": 2})

    done = [
        h.task_scheduled(T0, 0, "act", '{"a": 1}'),
        h.orchestrator_completed(T0),
        h.orchestrator_started(T0),
        h.task_completed(T0, 0, "null"),
        h.task_scheduled(T0, 1, "flaky", '"x"'),
        h.orchestrator_completed(T0),
        h.orchestrator_started(T0),
        h.task_completed(T0, 1, '"ok"'),
        h.timer_created(T0, 2, T0 + timedelta(hours=1)),
        h.orchestrator_completed(T0),
        h.orchestrator_started(T0),
        h.event_raised(T0, "approve", '"yes"'),
    ]
    state = run(orchestrator, start() + done)
    assert state["schemaVersion"] == 2 and state["isDone"] is False
    assert state["actions"] == [
        [
            {"actionType": 0, "functionName": "act", "input": '{"a": 1}'},
            {
                "actionType": 12,
                "compoundActions": [
                    {
                        "actionType": 1,
                        "functionName": "flaky",
                        "input": '"x"',
                        "retryOptions": {"firstRetryIntervalInMilliseconds": 1500, "maxNumberOfAttempts": 4},
                    }
                ],
            },
            {
                "actionType": 11,
                "compoundActions": [
                    {"actionType": 5, "fireAt": "2025-03-01T13:00:00.000000Z", "isCanceled": True},
                    {"actionType": 6, "externalEventName": "approve", "reason": "ExternalEvent"},
                ],
            },
            {
                "actionType": 12,
                "compoundActions": [
                    {"actionType": 2, "functionName": "child", "input": "5", "instanceId": "kid", "version": None},
                    # An 8-day timer exceeds maximumShortTimerDuration: the SDK waits 3 days at a time.
                    {
                        "actionType": 12,
                        "compoundActions": [
                            {"actionType": 5, "fireAt": "2025-03-04T12:00:00.000000Z", "isCanceled": False}
                        ],
                    },
                ],
            },
        ]
    ]
    flat = parse_state(json.dumps(state)).actions
    assert [a.kind for a in flat] == [0, 1, 5, 6, 2, 5]


def test_continue_as_new_action_shape() -> None:
    def orchestrator(context: df.DurableOrchestrationContext):
        context.continue_as_new({"round": 2})
        yield context.call_activity("ignored")

    state = run(orchestrator, start())
    assert state["isDone"] is True
    assert state["actions"] == [[{"actionType": 4, "input": '{"round": 2}'}]]


def test_retry_numbers_timers_and_attempts_as_the_engine_does() -> None:
    def orchestrator(context: df.DurableOrchestrationContext):
        result = yield context.call_activity_with_retry("flaky", df.RetryOptions(1000, 2), None)
        return result

    later = T0 + timedelta(seconds=1)
    events = [
        *start(),
        h.task_scheduled(T0, 0, "flaky", "null"),
        h.orchestrator_completed(T0),
        h.orchestrator_started(T0),
        h.task_failed(T0, 0, "boom", "details"),
        h.timer_created(T0, 1, later),
        h.orchestrator_completed(T0),
        h.orchestrator_started(later),
        h.timer_fired(later, 1, later),
        h.task_scheduled(later, 2, "flaky", "null"),
        h.orchestrator_completed(later),
        h.orchestrator_started(later),
        h.task_completed(later, 2, '"second time lucky"'),
    ]
    state = run(orchestrator, events)
    assert state["isDone"] is True and state["output"] == "second time lucky"


def test_exhausted_retry_needs_the_final_zero_delay_timer() -> None:
    def orchestrator(context: df.DurableOrchestrationContext):
        result = yield context.call_activity_with_retry("flaky", df.RetryOptions(1000, 1), None)
        return result

    events = [
        *start(),
        h.task_scheduled(T0, 0, "flaky", "null"),
        h.orchestrator_completed(T0),
        h.orchestrator_started(T0),
        h.task_failed(T0, 0, "boom", "details"),
    ]
    assert run(orchestrator, events)["isDone"] is False  # still waiting on the dummy timer
    events += [h.timer_created(T0, 1, T0), h.orchestrator_completed(T0), h.orchestrator_started(T0)]
    events += [h.timer_fired(T0, 1, T0)]
    with pytest.raises(Exception) as failure:
        run(orchestrator, events)
    message, state = parse_failure(failure.value)
    assert message == "boom \n details" and state is not None and state.error == "boom \n details"


def test_sub_orchestration_and_event_payloads_are_json_text() -> None:
    def orchestrator(context: df.DurableOrchestrationContext):
        child = yield context.call_sub_orchestrator("child", None)
        event = yield context.wait_for_external_event("go")
        return [child, event, context.get_input()]

    events = [
        *start(),
        h.sub_orchestration_created(T0, 0, "child", "kid", "null"),
        h.orchestrator_completed(T0),
        h.orchestrator_started(T0),
        h.sub_orchestration_completed(T0, 0, '{"v": 1}'),
        h.event_raised(T0, "go", "[1, 2]"),
    ]
    state = run(orchestrator, events, payload={"p": True})
    assert state["output"] == [{"v": 1}, [1, 2], {"p": True}]


def test_orchestrator_exception_embeds_the_state_after_the_label() -> None:
    def orchestrator(context: df.DurableOrchestrationContext):
        context.set_custom_status("about to fail")
        yield context.call_activity("a")
        raise RuntimeError("kaboom")

    events = [
        *start(),
        h.task_scheduled(T0, 0, "a", "null"),
        h.orchestrator_completed(T0),
        h.orchestrator_started(T0),
        h.task_completed(T0, 0, "1"),
    ]
    with pytest.raises(Exception) as failure:
        run(orchestrator, events)
    assert "\n\n$OutOfProcData$:" in str(failure.value)
    message, state = parse_failure(failure.value)
    assert message == "kaboom" and state is not None
    assert state.custom_status == "about to fail" and [a.name for a in state.actions] == ["a"]


def test_client_binding_drives_the_sdk_client_urls() -> None:
    binding = client_binding("Hub", "http://127.0.0.1:7071")
    client = df.DurableOrchestrationClient(binding)
    rpc = "http://127.0.0.1:7071/runtime/webhooks/durabletask/"
    assert client._get_start_new_url("id1", "orch") == f"{rpc}orchestrators/orch/id1"
    assert client._get_raise_event_url("id1", "go", None, None) == f"{rpc}instances/id1/raiseEvent/go"
    request = func.HttpRequest("POST", "http://localhost:9999/api/start", body=b"", headers={})
    response = client.create_check_status_response(request, "abc")
    links = json.loads(response.get_body())
    assert response.status_code == 202 and response.headers["Location"] == links["statusQueryGetUri"]
    assert links["id"] == "abc"
    assert links["statusQueryGetUri"] == (
        "http://localhost:9999/runtime/webhooks/durabletask/instances/abc?taskHub=Hub&connection=Storage"
    )
    assert links["sendEventPostUri"].startswith("http://localhost:9999/runtime/webhooks/durabletask/instances/abc/")

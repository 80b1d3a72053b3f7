"""A DFApp exercising every Durable pattern the local engine supports (a test fixture, not the product).

HTTP starters use the SDK's real `DurableOrchestrationClient`; orchestrators are plain generators.
`ACTIVITY_LOG` (an env var naming a file) makes activities append what they did, so tests can count
executions across process restarts.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

# Tests flip this to change orchestrator code between episodes (non-determinism).
behaviour: dict[str, Any] = {"first_step": "hello"}
# Attempts per key for the flaky activity (in-process tests only).
attempts: dict[str, int] = {}


class Money:
    """A custom class that crosses the activity boundary through the SDK's to_json/from_json."""

    def __init__(self, cents: int, currency: str) -> None:
        self.cents = cents
        self.currency = currency

    @staticmethod
    def to_json(obj: Money) -> dict[str, Any]:
        return {"cents": obj.cents, "currency": obj.currency}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Money:
        return Money(data["cents"], data["currency"])


def _log(entry: str) -> None:
    path = os.environ.get("ACTIVITY_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(entry + "\n")


# -- HTTP starters and management, through the SDK client ------------------------------------------


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    payload = json.loads(body) if body else None
    instance_id = await client.start_new(req.route_params["name"], req.params.get("id"), payload)
    return client.create_check_status_response(req, instance_id)


@app.route(route="status/{id}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    state = await client.get_status(req.route_params["id"], show_history=True, show_history_output=True)
    if not state:
        return func.HttpResponse(status_code=404)
    body = {
        "runtimeStatus": state.runtime_status.value if state.runtime_status else None,
        "output": state.output,
        "input": state.input_,
        "customStatus": state.custom_status,
        "history": getattr(state, "historyEvents", None),
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="raise/{id}/{event}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def raise_event(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    await client.raise_event(req.route_params["id"], req.route_params["event"], req.get_json())
    return func.HttpResponse(status_code=202)


@app.route(route="control/{id}/{action}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def control(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id, action = req.route_params["id"], req.route_params["action"]
    if action == "terminate":
        await client.terminate(instance_id, "operator hung up")
    elif action == "suspend":
        await client.suspend(instance_id, "paused")
    elif action == "resume":
        await client.resume(instance_id, "continue")
    elif action == "purge":
        result = await client.purge_instance_history(instance_id)
        return func.HttpResponse(json.dumps({"deleted": result.instances_deleted}), mimetype="application/json")
    return func.HttpResponse(status_code=202)


@app.route(route="list", methods=["GET"])
@app.durable_client_input(client_name="client")
async def list_instances(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    wanted = [df.OrchestrationRuntimeStatus(s) for s in req.params.get("status", "").split(",") if s]
    found = await client.get_status_by(runtime_status=wanted or None)
    return func.HttpResponse(json.dumps(sorted(s.instance_id for s in found)), mimetype="application/json")


# -- orchestrators -----------------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def chaining(context: df.DurableOrchestrationContext):
    name = context.get_input()["name"]
    first = yield context.call_activity(behaviour["first_step"], name)
    second = yield context.call_activity("hello", first)
    price: Money = yield context.call_activity("price", name)
    return [first, second, f"{price.cents} {price.currency}"]


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    job = context.get_input()
    items, window = list(range(job["n"])), job["window"]
    total = 0
    for start in range(0, len(items), window):
        squares = yield context.task_all([context.call_activity("square", i) for i in items[start : start + window]])
        total += sum(squares)
        context.set_custom_status({"done": min(start + window, len(items))})
    return total


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    hours = context.get_input()["hours"]
    deadline = context.current_utc_datetime + timedelta(hours=hours)
    timeout = context.create_timer(deadline)
    answer = context.wait_for_external_event("approve")
    winner = yield context.task_any([answer, timeout])
    if winner == answer:
        timeout.cancel()
        return {"approved": answer.result}
    return {"approved": None, "timed_out_at": context.current_utc_datetime.isoformat()}


@app.orchestration_trigger(context_name="context")
def sleeper(context: df.DurableOrchestrationContext):
    days = context.get_input()["days"]
    yield context.create_timer(context.current_utc_datetime + timedelta(days=days))
    return context.current_utc_datetime.isoformat()


@app.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext):
    job = context.get_input()
    options = df.RetryOptions(first_retry_interval_in_milliseconds=job["interval_ms"], max_number_of_attempts=3)
    result = yield context.call_activity_with_retry("flaky", options, job)
    return result


@app.orchestration_trigger(context_name="context")
def counter(context: df.DurableOrchestrationContext):
    state = context.get_input()
    if state.get("wait_for"):
        tick = yield context.wait_for_external_event(state["wait_for"])
        state["seen"] = [*state.get("seen", []), tick]
    if state["n"] < state["limit"]:
        state["n"] += 1
        context.continue_as_new(state)
        return None
    return state


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    job = context.get_input()
    ok = yield context.call_sub_orchestrator("child", {"fail": False, "value": 2})
    if not job.get("fail"):
        return ok
    try:
        yield context.call_sub_orchestrator("child", {"fail": True, "value": 3}, instance_id=job.get("child_id"))
    except Exception as exc:
        if job.get("propagate"):
            raise
        return {"ok": ok, "caught": str(exc)}
    return {"ok": ok}


@app.orchestration_trigger(context_name="context")
def child(context: df.DurableOrchestrationContext):
    job = context.get_input()
    value = yield context.call_activity("square", job["value"])
    if job["fail"]:
        raise ValueError(f"child refused {value}")
    return value


@app.orchestration_trigger(context_name="context")
def waiter(context: df.DurableOrchestrationContext):
    context.set_custom_status("waiting for go")
    first = yield context.wait_for_external_event("go")
    context.set_custom_status("got go")
    second = yield context.call_activity("hello", "again")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def drifting(context: df.DurableOrchestrationContext):
    first = yield context.call_activity(behaviour["first_step"], "x")
    yield context.wait_for_external_event("next")
    second = yield context.call_activity("hello", "y")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def slow_chain(context: df.DurableOrchestrationContext):
    results = []
    for step in range(context.get_input()["steps"]):
        results.append((yield context.call_activity("slow_step", step)))
    return results


# -- activities --------------------------------------------------------------------------------------


@app.activity_trigger(input_name="name")
def hello(name: str) -> str:
    return f"Hello {name}!"


@app.activity_trigger(input_name="name")
def shout(name: str) -> str:
    return f"HELLO {name.upper()}!"


@app.activity_trigger(input_name="name")
async def price(name: str) -> Money:
    return Money(len(name) * 100, "EUR")


@app.activity_trigger(input_name="value")
def square(value: int) -> int:
    return value * value


@app.activity_trigger(input_name="job")
def flaky(job: dict[str, Any]) -> str:
    key = job["key"]
    attempts[key] = attempts.get(key, 0) + 1
    if attempts[key] < job["succeed_on"]:
        raise ConnectionError(f"attempt {attempts[key]} failed")
    return f"succeeded on attempt {attempts[key]}"


@app.activity_trigger(input_name="step")
def slow_step(step: int) -> int:
    _log(f"start {step}")
    time.sleep(0.4)
    _log(f"done {step}")
    return step * 10

"""An app whose host.json sets a route prefix, a hub from a setting, Durable limits and a 1 s timeout."""

import asyncio
import json
import threading
import time

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
ticks: list[dict] = []
overlap = {"now": 0, "peak": 0}
replays = {"now": 0, "peak": 0}
replay_lock = threading.Lock()


@app.route(route="ping", methods=["GET"])
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")


@app.route(route="slow", methods=["GET"])
async def slow(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(5)
    return func.HttpResponse("too late")


@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False)
def every_five_minutes(timer: func.TimerRequest) -> None:
    ticks.append({"past_due": timer.past_due, "status": timer.schedule_status})


@app.blob_trigger(arg_name="blob", path="uploads/{name}", connection="Storage")
def on_upload(blob: func.InputStream) -> None:
    raise AssertionError("never served")


@app.orchestration_trigger(context_name="context")
def fan(context: df.DurableOrchestrationContext):
    results = yield context.task_all([context.call_activity("Measure", i) for i in range(3)])
    return results


@app.orchestration_trigger(context_name="context")
def stuck(context: df.DurableOrchestrationContext):
    result = yield context.call_activity("hang", None)
    return result


@app.orchestration_trigger(context_name="context")
def slow_replay(context: df.DurableOrchestrationContext):
    # Orchestrators must not block; this one does, to make concurrent episodes observable.
    with replay_lock:
        replays["now"] += 1
        replays["peak"] = max(replays["peak"], replays["now"])
    time.sleep(0.3)
    with replay_lock:
        replays["now"] -= 1
    value = yield context.call_activity("measure", 1)
    return value


@app.activity_trigger(input_name="value")
async def measure(value: int) -> int:
    overlap["now"] += 1
    overlap["peak"] = max(overlap["peak"], overlap["now"])
    await asyncio.sleep(0.05)
    overlap["now"] -= 1
    return value


@app.activity_trigger(input_name="value")
def hang(value: None) -> str:
    time.sleep(1.5)
    return json.dumps("done")

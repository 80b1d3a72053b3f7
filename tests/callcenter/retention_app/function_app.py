"""The retention timer with two plain orchestrations to purge or keep (tests only)."""

from typing import Any

import azure.durable_functions as df
import azure.functions as func

from callcenter import retention

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(retention.bp)


@app.orchestration_trigger(context_name="context")
def finishes(context: df.DurableOrchestrationContext) -> Any:
    return context.get_input()


@app.orchestration_trigger(context_name="context")
def waits(context: df.DurableOrchestrationContext) -> Any:
    value = yield context.wait_for_external_event("go")
    return value

"""The campaign engine with calls that end at once (bench only): outcomes by number, no telephony."""

import hashlib
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from callcenter.api import campaigns_api
from callcenter.orchestrations import campaign, campaign_activities

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
calls = df.Blueprint()
OUTCOMES = ["completed"] * 14 + ["no_answer"] * 3 + ["busy"] * 2 + ["voicemail"]


@calls.orchestration_trigger(context_name="context")
def call_lifecycle(context: df.DurableOrchestrationContext) -> dict[str, Any]:
    call = context.get_input()
    digest = hashlib.sha256(call["call_id"].encode()).digest()
    return {"call_id": call["call_id"], "outcome": OUTCOMES[digest[0] % len(OUTCOMES)], "reason": "bench"}


for blueprint in (campaigns_api.bp, campaign.bp, campaign_activities.bp, calls):
    app.register_functions(blueprint)

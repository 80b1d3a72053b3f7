"""Azure Functions entry point: builds the app and registers the blueprints of `callcenter`."""

import azure.durable_functions as df
import azure.functions as func

from callcenter import retention
from callcenter.api import agents_api, calls_api, campaigns_api, dnc_api, internal_api, platform_api, session_api
from callcenter.orchestrations import call_activities, call_lifecycle, campaign, campaign_activities
from callcenter.telephony import callbacks, incoming

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (
    platform_api.bp,
    agents_api.bp,
    session_api.bp,
    calls_api.bp,
    internal_api.bp,
    incoming.bp,
    callbacks.bp,
    call_lifecycle.bp,
    call_activities.bp,
    campaigns_api.bp,
    dnc_api.bp,
    campaign.bp,
    campaign_activities.bp,
    retention.bp,
):
    app.register_functions(blueprint)

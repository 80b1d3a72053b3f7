"""The campaign engine with a stand-in `call_lifecycle` (tests only): real API, orchestration, tables."""

import azure.durable_functions as df
import azure.functions as func

from callcenter.api import campaigns_api, dnc_api, internal_api
from callcenter.orchestrations import campaign, campaign_activities
from tests.callcenter.campaigns import fake_calls

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (campaigns_api.bp, dnc_api.bp, internal_api.bp, campaign.bp, campaign_activities.bp, fake_calls.bp):
    app.register_functions(blueprint)

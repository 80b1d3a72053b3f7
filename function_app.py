"""Azure Functions entry point: builds the app and registers the blueprints of `callcenter`."""

import azure.durable_functions as df
import azure.functions as func

from callcenter.api import agents_api, platform_api, session_api

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (platform_api.bp, agents_api.bp, session_api.bp):
    app.register_functions(blueprint)

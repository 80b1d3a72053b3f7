"""A local Azure Functions host for Python v2-model apps (Core Tools cannot be installed here).

It imports an app folder's `function_app.py`, indexes `app.get_functions()` once, reads `host.json`,
and serves: HTTP triggers at `/<routePrefix>/<route>` with their methods and auth levels, Event Grid
triggers at `/runtime/webhooks/eventgrid?functionName=...` (with the validation handshake), timer
triggers on their NCRONTAB schedules, durable client bindings backed by the local Durable engine,
and a static site at `/`. A function it cannot serve fails to load alone. It knows nothing about
any particular app.
"""

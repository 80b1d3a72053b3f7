"""A plain v2-model app with no knowledge of devstack: what the host must serve unchanged."""

import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
received: list[dict] = []


@app.route(route="items/{id:int}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"id": int(req.route_params["id"])}), mimetype="application/json")


@app.route(route="items/special", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def special_item(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("special")


@app.route(route="files/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def get_file(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.route_params.get("path", ""))


@app.route(route="echo", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body(), headers={"x-query": req.params.get("q", "")})


@app.route(route="admin/reset", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def reset(req: func.HttpRequest) -> func.HttpResponse:
    received.clear()
    return func.HttpResponse(status_code=204)


@app.route(route="crash", auth_level=func.AuthLevel.ANONYMOUS)
def crash(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("boom")


@app.event_grid_trigger(arg_name="event")
def on_event(event: func.EventGridEvent) -> None:
    received.append({"id": event.id, "type": event.event_type, "data": event.get_json()})


@app.route(route="received", auth_level=func.AuthLevel.ANONYMOUS)
def list_received(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(received), mimetype="application/json")

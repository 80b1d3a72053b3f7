"""The Durable extension's HTTP API on Starlette, and the client binding that points at it.

The SDK's `DurableOrchestrationClient` builds every URL from the binding JSON: `rpcBaseUrl` for its
own calls (`orchestrators/{name}[/{id}]`, `instances/{id}?showHistory=...`, `.../raiseEvent/{name}`,
`.../terminate?reason=`, ...) and `managementUrls` for `create_check_status_response`, where the
placeholder `INSTANCEID` is replaced by the instance id. Both point at the routes below, which the
host emulator mounts next to the app's HTTP triggers. Response codes follow `HttpApiHandler`.

Not found (404) and gone (410) are bare statuses, as the extension answers them; other refusals
carry the project's `{"error": {"code", "message"}}` body plus the extension's `Message` /
`ExceptionMessage` fields, because the SDK reads `ExceptionMessage` from a 400 on start.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from devstack.durable import history as h
from devstack.durable.instance import TERMINAL
from devstack.durable.management import EngineError, EngineErrors, InstanceClient

PREFIX = "/runtime/webhooks/durabletask"
INSTANCE_PLACEHOLDER = "INSTANCEID"
CONTINUATION_HEADER = "x-ms-continuation-token"
_STATUSES = {"Pending", "Running", "Completed", "ContinuedAsNew", "Failed", "Canceled", "Terminated", "Suspended"}


def client_binding(task_hub: str, base_url: str) -> str:
    """The JSON string the SDK expects as the value of a `durableClient` input binding."""
    base = base_url.rstrip("/") + PREFIX
    query = f"taskHub={quote(task_hub)}&connection=Storage"
    instance = f"{base}/instances/{INSTANCE_PLACEHOLDER}"
    create = f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]"
    return json.dumps(
        {
            "taskHubName": task_hub,
            "creationUrls": {
                "createNewInstancePostUri": f"{create}?{query}",
                "createAndWaitOnNewInstancePostUri": (
                    f"{create}?timeout={{timeoutInSeconds}}&pollingInterval={{intervalInSeconds}}&{query}"
                ),
            },
            "managementUrls": {
                "id": INSTANCE_PLACEHOLDER,
                "statusQueryGetUri": f"{instance}?{query}",
                "sendEventPostUri": f"{instance}/raiseEvent/{{eventName}}?{query}",
                "terminatePostUri": f"{instance}/terminate?reason={{text}}&{query}",
                "rewindPostUri": f"{instance}/rewind?reason={{text}}&{query}",
                "purgeHistoryDeleteUri": f"{instance}?{query}",
                "restartPostUri": f"{instance}/restart?{query}",
                "suspendPostUri": f"{instance}/suspend?reason={{text}}&{query}",
                "resumePostUri": f"{instance}/resume?reason={{text}}&{query}",
            },
            "baseUrl": base,
            "requiredQueryStringParameters": query,
            "rpcBaseUrl": base + "/",
            "httpBaseUrl": "",
        }
    )


def management_routes(client: InstanceClient, task_hub: str) -> list[BaseRoute]:
    """Routes for one engine's instances, under `/runtime/webhooks/durabletask`."""
    handlers = _Handlers(client, task_hub)
    return [
        Route(PREFIX + "/orchestrators/{function_name}", handlers.start, methods=["POST"]),
        Route(PREFIX + "/orchestrators/{function_name}/{instance_id}", handlers.start, methods=["POST"]),
        Route(PREFIX + "/instances", handlers.instances, methods=["GET", "DELETE"]),
        Route(PREFIX + "/instances/", handlers.instances, methods=["GET", "DELETE"]),
        Route(PREFIX + "/instances/{instance_id}", handlers.instance, methods=["GET", "DELETE"]),
        Route(PREFIX + "/instances/{instance_id}/raiseEvent/{event_name}", handlers.raise_event, methods=["POST"]),
        Route(PREFIX + "/instances/{instance_id}/{operation}", handlers.operation, methods=["POST"]),
    ]


def error_response(error: EngineError) -> Response:
    """The response for a refused request.

    Not found (404) and gone (410) carry no body, as `HttpApiHandler` answers them with a bare
    `CreateResponse(HttpStatusCode.NotFound / Gone)`; the SDK reads such an empty body as "no data".
    """
    if error.status in (404, 410):
        return Response(status_code=error.status)
    body = {
        "error": {"code": error.code, "message": error.message},
        "Message": error.message,
        "ExceptionMessage": error.message,
    }
    return JSONResponse(body, status_code=error.status)


def _flag(request: Request, name: str, default: bool) -> bool:
    value = request.query_params.get(name)
    return default if value is None else value.strip().lower() == "true"


def _time(request: Request, name: str) -> datetime | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return h.parse_time(value)
    except (ValueError, OverflowError) as exc:
        raise EngineErrors.bad_request("invalid_time", f"'{name}' is not an ISO-8601 time: {value!r}") from exc


def _statuses(request: Request) -> list[str]:
    values = [v for raw in request.query_params.getlist("runtimeStatus") for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v.strip() not in _STATUSES]
    if unknown:
        raise EngineErrors.bad_request("invalid_runtime_status", f"Unknown runtimeStatus value(s): {unknown}")
    return [v.strip() for v in values]


async def _json_body(request: Request) -> str | None:
    """The request body as compact JSON text (None when empty); 400 when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EngineErrors.bad_request("invalid_json", "Invalid JSON content.") from exc
    # Newtonsoft's Formatting.None: compact, non-ASCII kept.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Handlers:
    def __init__(self, client: InstanceClient, task_hub: str) -> None:
        self.client = client
        self.task_hub = task_hub

    async def start(self, request: Request) -> Response:
        try:
            name = request.path_params["function_name"]
            instance_id = await self.client.start_new(
                name, request.path_params.get("instance_id"), await _json_body(request)
            )
        except EngineError as error:
            return error_response(error)
        return self._check_status(request, instance_id)

    def _check_status(self, request: Request, instance_id: str) -> Response:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        payload = json.loads(client_binding(self.task_hub, origin))["managementUrls"]
        links = {
            key: value.replace(INSTANCE_PLACEHOLDER, quote(instance_id, safe="")) for key, value in payload.items()
        }
        links.pop("rewindPostUri", None)
        headers = {"Location": links["statusQueryGetUri"], "Retry-After": "10"}
        return JSONResponse(links, status_code=202, headers=headers)

    async def instances(self, request: Request) -> Response:
        try:
            if request.method == "DELETE":
                created_from = _time(request, "createdTimeFrom")
                if created_from is None:
                    raise EngineErrors.bad_request("missing_created_time_from", "Please provide 'createdTimeFrom'.")
                deleted = await self.client.purge_by(created_from, _time(request, "createdTimeTo"), _statuses(request))
                if not deleted:
                    return Response(status_code=404)
                return JSONResponse({"instancesDeleted": deleted})
            top_text = request.query_params.get("top")
            if top_text is not None and not top_text.isdigit():
                raise EngineErrors.bad_request("invalid_top", "'top' must be a positive integer.")
            results, token = await self.client.query(
                statuses=_statuses(request),
                created_from=_time(request, "createdTimeFrom"),
                created_to=_time(request, "createdTimeTo"),
                prefix=request.query_params.get("instanceIdPrefix"),
                show_input=_flag(request, "showInput", False),
                top=int(top_text) if top_text else None,
                token=request.headers.get(CONTINUATION_HEADER),
            )
        except EngineError as error:
            return error_response(error)
        headers = {CONTINUATION_HEADER: token} if token else {}
        return JSONResponse(results, headers=headers)

    async def instance(self, request: Request) -> Response:
        instance_id = request.path_params["instance_id"]
        try:
            if request.method == "DELETE":
                return JSONResponse({"instancesDeleted": await self.client.purge(instance_id)})
        except EngineError as error:
            return error_response(error)
        status = await self.client.get_status(
            instance_id,
            show_history=_flag(request, "showHistory", False),
            show_history_output=_flag(request, "showHistoryOutput", False),
            show_input=_flag(request, "showInput", True),
        )
        if status is None:
            return error_response(EngineErrors.not_found(instance_id))
        if status["runtimeStatus"] in TERMINAL:
            failed = status["runtimeStatus"] == "Failed"
            code = 500 if failed and _flag(request, "returnInternalServerErrorOnFailure", False) else 200
            return JSONResponse(status, status_code=code)
        headers = {"Location": str(request.url), "Retry-After": "5"}
        return JSONResponse(status, status_code=202, headers=headers)

    async def raise_event(self, request: Request) -> Response:
        try:
            instance_id = request.path_params["instance_id"]
            if await self.client.get_status(instance_id) is None:
                raise EngineErrors.not_found(instance_id)
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                raise EngineErrors.bad_request(
                    "unsupported_media_type", "Only application/json request content is supported"
                )
            await self.client.raise_event(instance_id, request.path_params["event_name"], await _json_body(request))
        except EngineError as error:
            return error_response(error)
        return Response(status_code=202)

    async def operation(self, request: Request) -> Response:
        instance_id = request.path_params["instance_id"]
        operation = request.path_params["operation"].lower()
        reason = request.query_params.get("reason")
        try:
            if operation == "terminate":
                await self.client.terminate(instance_id, reason)
            elif operation == "suspend":
                await self.client.suspend(instance_id, reason)
            elif operation == "resume":
                await self.client.resume(instance_id, reason)
            elif operation == "restart":
                new_id = _flag(request, "restartWithNewInstanceId", True)
                return self._check_status(request, await self.client.restart(instance_id, new_id))
            elif operation == "rewind":
                raise EngineError(501, "rewind_not_supported", "Rewind is not supported by the local Durable engine.")
            else:
                raise EngineError(404, "unknown_operation", f"Unknown instance operation '{operation}'.")
        except EngineError as error:
            return error_response(error)
        return Response(status_code=202)

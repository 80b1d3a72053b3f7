"""Endpoints about the service itself: health, front-end runtime config, phone number, OpenAPI."""

from __future__ import annotations

import json

import azure.durable_functions as df
import azure.functions as func

from callcenter.api import schemas
from callcenter.config import get_settings
from callcenter.endpoints.http import json_response
from callcenter.endpoints.openapi import openapi_document
from callcenter.endpoints.routing import endpoint

bp = df.Blueprint()


@endpoint(
    bp,
    "healthz",
    method="GET",
    summary="Liveness and which features are configured",
    tag="platform",
    response=schemas.HEALTH_RESPONSE,
    errors=(),
)
async def healthz(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    features = {
        "web": settings.realtime is not None,
        "phone": settings.acs is not None,
        "records": settings.tables_configured,
        "summaries": bool(settings.realtime and settings.realtime.summary_deployment),
    }
    return json_response({"status": "ok", "features": features})


@endpoint(
    bp,
    "runtime-config.js",
    method="GET",
    summary="Front-end runtime configuration (no secrets)",
    tag="platform",
    response={"type": "string"},
    response_content_type="application/javascript",
    errors=(),
)
async def runtime_config(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    config = {
        "apiBaseUrl": settings.api_base_url,
        "features": {
            "web": settings.realtime is not None,
            "phone": settings.acs is not None,
            "campaigns": settings.acs is not None and settings.tables_configured,
        },
        "defaultAgent": settings.default_agent,
    }
    script = f"window.__RUNTIME_CONFIG__ = {json.dumps(config)};\n"
    return func.HttpResponse(script, headers={"Content-Type": "application/javascript", "Cache-Control": "no-store"})


@endpoint(
    bp,
    "source-phone-number",
    method="GET",
    summary="The ACS number calls come from",
    tag="phone",
    response=schemas.PHONE_NUMBER_RESPONSE,
    errors=(503,),
)
async def source_phone_number(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"phone_number": get_settings().require_acs().phone_number})


@endpoint(
    bp,
    "openapi.json",
    method="GET",
    summary="This OpenAPI document",
    tag="platform",
    response={"type": "object"},
    errors=(),
)
async def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(openapi_document())

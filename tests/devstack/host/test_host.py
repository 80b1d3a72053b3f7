"""The local Functions host serving a plain v2-model app it knows nothing about."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.routes import RouteTemplate
from devstack.host.server import FunctionsHost
from tests.support.servers import serve

APP = Path(__file__).with_name("sample_app")
KEYS = HostKeys({"default": "fkey"}, "mkey", {"eventgrid_extension": "egkey"})


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    host = FunctionsHost(APP, settings=LocalSettings({}, KEYS))
    with serve(host.asgi()) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def test_route_templates_match_constraints_optionals_and_catch_alls() -> None:
    assert RouteTemplate.parse("items/{id:int}").match("items/12") == {"id": "12"}
    assert RouteTemplate.parse("items/{id:int}").match("items/abc") is None
    assert RouteTemplate.parse("calls/{id?}").match("calls") == {}
    assert RouteTemplate.parse("files/{*path}").match("files/a/b.txt") == {"path": "a/b.txt"}


def test_route_parameters_reach_the_function(client: httpx.Client) -> None:
    assert client.get("/api/items/7").json() == {"id": 7}
    assert client.get("/api/files/a/b/c.txt").text == "a/b/c.txt"


def test_literal_route_wins_over_parameterised_and_async_functions_run(client: httpx.Client) -> None:
    assert client.get("/api/items/special").text == "special"
    assert client.get("/api/items/nope").status_code == 404


def test_function_level_needs_a_key_in_header_or_code(client: httpx.Client) -> None:
    assert client.post("/api/echo", content=b"x").status_code == 401
    assert client.post("/api/echo", content=b"x", headers={"x-functions-key": "wrong"}).status_code == 401
    by_header = client.post("/api/echo?q=1", content=b"hello", headers={"x-functions-key": "fkey"})
    assert by_header.text == "hello" and by_header.headers["x-query"] == "1"
    assert client.post("/api/echo?code=fkey", content=b"hi").text == "hi"
    assert client.post("/api/echo?code=mkey", content=b"hi").status_code == 200


def test_admin_level_needs_the_master_key(client: httpx.Client) -> None:
    assert client.post("/api/admin/reset", headers={"x-functions-key": "fkey"}).status_code == 401
    assert client.post("/api/admin/reset", headers={"x-functions-key": "mkey"}).status_code == 204


def test_unknown_route_is_404_and_wrong_method_405(client: httpx.Client) -> None:
    missing = client.get("/api/nothing/here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.delete("/api/items/7").status_code == 405


def test_a_crashing_function_is_a_500_json_and_the_host_survives(client: httpx.Client) -> None:
    response = client.get("/api/crash")
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
    assert client.get("/api/items/1").status_code == 200


def test_event_grid_validation_handshake(client: httpx.Client) -> None:
    handshake = [
        {
            "id": "1",
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "subject": "",
            "data": {"validationCode": "abc-123"},
            "dataVersion": "1",
            "eventTime": "2026-11-26T10:00:00Z",
        }
    ]
    response = client.post(
        "/runtime/webhooks/eventgrid?functionName=on_event&code=egkey",
        json=handshake,
        headers={"aeg-event-type": "SubscriptionValidation"},
    )
    assert response.json() == {"validationResponse": "abc-123"}


def test_event_grid_delivers_each_event_of_an_array_and_cloud_events(client: httpx.Client) -> None:
    client.post("/api/admin/reset", headers={"x-functions-key": "mkey"})
    events = [
        {
            "id": f"e{i}",
            "eventType": "Microsoft.Communication.IncomingCall",
            "subject": "call",
            "data": {"n": i},
            "dataVersion": "1.0",
            "eventTime": "2026-11-26T10:00:00Z",
            "topic": "/acs",
        }
        for i in range(3)
    ]
    assert client.post("/runtime/webhooks/eventgrid?functionName=on_event&code=egkey", json=events).status_code == 200
    cloud = {"specversion": "1.0", "id": "c1", "type": "Demo.Event", "source": "/x", "data": {"n": 9}}
    assert client.post("/runtime/webhooks/eventgrid?functionName=on_event&code=egkey", json=cloud).status_code == 200
    received = client.get("/api/received").json()
    assert [e["id"] for e in received] == ["e0", "e1", "e2", "c1"]
    assert received[1] == {"id": "e1", "type": "Microsoft.Communication.IncomingCall", "data": {"n": 1}}


def test_event_grid_refuses_bad_keys_unknown_functions_and_malformed_events(client: httpx.Client) -> None:
    url = "/runtime/webhooks/eventgrid?functionName=on_event"
    assert client.post(url, json=[]).status_code == 401
    assert client.post("/runtime/webhooks/eventgrid?functionName=nope&code=egkey", json=[]).status_code == 404
    assert client.post(url + "&code=egkey", content=b"{oops").status_code == 400
    assert client.post(url + "&code=egkey", json=[{"id": "x"}]).status_code == 400
    assert client.post(url + "&code=egkey", json=[]).status_code == 400

"""docs/security.md's table covers every endpoint; browser guards on tools and same-origin defaults."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from azure.functions.decorators.core import AuthLevel

import function_app  # noqa: F401  (registers every endpoint in OPERATIONS)
from callcenter.endpoints import guards
from callcenter.endpoints.routing import OPERATIONS
from tests.conftest import HostFactory

REPO = Path(__file__).resolve().parents[3]
ROW = re.compile(r"^\| `([A-Z]+) ([^`]+)`( \(bridge\))? \| ([^|]+) \| (.+) \|$")
# Served by the Functions platform itself, not declared by the app.
PLATFORM = {("POST", "/runtime/webhooks/durabletask")}
EVENT_GRID_TRIGGER = re.compile(r"^@\w+\.event_grid_trigger\(", re.MULTILINE)


def security_table() -> dict[tuple[str, str], str]:
    """(method, path) -> protection, from docs/security.md's "## Security" section."""
    readme = (REPO / "docs" / "security.md").read_text()
    section = readme.split("\n## Security\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            rows[(match[1], match[2])] = match[5]
    return rows


def served_endpoints() -> dict[tuple[str, str], str]:
    """Every endpoint the code serves -> how the code protects it (function app, Event Grid, bridge)."""
    served = {(op.method, f"/api/{op.route}"): str(op.auth) for op in OPERATIONS}
    for source in (REPO / "callcenter").rglob("*.py"):
        if EVENT_GRID_TRIGGER.search(source.read_text()):
            served[("POST", "/runtime/webhooks/eventgrid")] = "system key"
    bridge = (REPO / "bridge" / "server.py").read_text()
    for path in re.findall(r'url\.path == "(/[^"]+)"', bridge):
        served[("GET", path)] = "bridge"
    if "_MEDIA_PATH" in bridge and "/acs/media/" in bridge:
        served[("WS", "/acs/media/{callId}")] = "media token"
    if 'WEB_PATH = "/web/realtime"' in bridge:
        served[("WS", "/web/realtime")] = "web session token"
    return served


def test_every_served_endpoint_is_in_the_security_table() -> None:
    table, served = security_table(), served_endpoints()
    assert len(served) > 25
    missing = sorted(set(served) - set(table))
    assert missing == [], f"add these endpoints to docs/security.md: {missing}"


def test_the_security_table_lists_no_endpoint_that_is_gone() -> None:
    stale = sorted(set(security_table()) - set(served_endpoints()) - PLATFORM)
    assert stale == [], f"docs/security.md lists endpoints nothing serves: {stale}"


def test_function_key_endpoints_are_documented_as_such_and_anonymous_ones_are_not() -> None:
    table = security_table()
    for op in OPERATIONS:
        protection = table[(op.method, f"/api/{op.route}")]
        assert ("function key" in protection) == (op.auth == AuthLevel.FUNCTION), (op.route, protection)


def test_browser_guards_are_declared_exactly_where_the_table_says() -> None:
    table = security_table()
    for op in OPERATIONS:
        protection = table[(op.method, f"/api/{op.route}")]
        assert ("browser guards" in protection) == (op.guard is not None), (op.route, protection)


def test_refused_requests_do_not_count_against_the_rate_limit(
    function_host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guards, "TOOL_CALLS_PER_MINUTE", 2)
    good = {"name": "get_account_balance", "arguments": {"account_id": "ACC-1001"}}
    bad = {"name": "no_such_tool"}
    with function_host() as base:
        refused = [httpx.post(f"{base}/api/function-call", json=bad).status_code for _ in range(3)]
        statuses = [httpx.post(f"{base}/api/function-call", json=good).status_code for _ in range(3)]
    assert refused == [404, 404, 404] and statuses == [200, 200, 429]


def test_browsers_from_other_origins_are_refused_when_no_allowlist_is_set(function_host: HostFactory) -> None:
    with function_host() as base:
        call = {"name": "get_account_balance", "arguments": {"account_id": "ACC-1001"}}
        own = httpx.post(f"{base}/api/function-call", json=call, headers={"origin": base})
        other = httpx.post(f"{base}/api/function-call", json=call, headers={"origin": "https://evil.example"})
        tool = httpx.post(f"{base}/api/function-call", json=call)  # no Origin: not a browser
    assert own.status_code == 200 and tool.status_code == 200
    assert other.status_code == 403 and other.json()["error"]["code"] == "origin_not_allowed"


def test_tool_calls_are_origin_checked_rate_limited_and_can_require_sign_in(
    function_host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guards, "TOOL_CALLS_PER_MINUTE", 2)
    call = {"name": "get_account_balance", "arguments": {"account_id": "ACC-1001"}}
    with function_host(CORS_ALLOWED_ORIGINS="https://web.example") as base:
        refused = httpx.post(f"{base}/api/function-call", json=call, headers={"origin": "https://evil.example"})
        statuses = [httpx.post(f"{base}/api/function-call", json=call).status_code for _ in range(3)]
    assert refused.status_code == 403
    assert statuses == [200, 200, 429]
    with function_host(REQUIRE_SIGNED_IN_USER="true") as base:
        anonymous = httpx.post(f"{base}/api/function-call", json=call)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "sign_in_required"


def test_the_local_host_answers_no_cors_preflight_because_the_front_end_is_same_origin(
    function_host: HostFactory,
) -> None:
    with function_host() as base:
        preflight = httpx.options(
            f"{base}/api/session",
            headers={"origin": "https://web.example", "access-control-request-method": "POST"},
        )
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers

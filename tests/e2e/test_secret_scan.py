"""No secret or caller phone number leaks: logs, error bodies and the front-end bundle are scanned.

The whole local stack runs (as `make run` starts it, on ephemeral ports, with
`REDACT_TRANSCRIPTS=true`): a web session is minted, an inbound and an outbound phone call run
through the ACS simulator, the bridge and the scripted model, a do-not-call entry is made, and a
set of requests is refused on purpose. Then every log file is searched for every key in the
stack's `devstack.json`, the web session's ephemeral key, key-shaped strings (JWTs, `code=` and
`token=` query values, account keys) and the callers' numbers in any form; the error bodies for
the keys; `frontend/dist` for the keys and key-shaped strings.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.run import REPO, Ports, Stack, build_stack, start, stop

CALLER = "+14255550123"
CALLEE = "+14255550166"
DNC_NUMBER = "+14255550144"
CARD = "4111 1111 1111 1111"
CALLER_SAYS = f"my number is four two five five five five zero one two three and my card is {CARD}"
SCENARIO = {
    "greeting": "Hello.",
    "turns": [
        {
            "caller": CALLER_SAYS,
            "agent": "Let me check.",
            "tool_calls": [{"name": "get_account_balance", "arguments": {"account_id": "ACC-1001"}}],
            "after_tools": "Your balance is fifty five dollars.",
        }
    ],
}
KEY_SHAPES = {
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "function key in a URL": re.compile(r"[?&]code=[A-Za-z0-9_\-]{16,}"),
    "token in a URL": re.compile(r"[?&]token=[A-Za-z0-9_.\-]{16,}"),
    "storage account key": re.compile(r"AccountKey=[A-Za-z0-9+/]{20,}"),
    "key header": re.compile(
        r"(?i)(api-key|x-functions-key|authorization)[\"']?\s*[:=]\s*[\"']?(Bearer\s+)?[\w\-.+/]{16,}"
    ),
    "OpenAI-style key": re.compile(r"\bsk-[A-Za-z0-9_\-]{20,}"),
}


@dataclass
class Run:
    """What the scenario produced, collected before the stack stopped."""

    stack: Stack
    log_dir: Path
    secrets: dict[str, str]
    error_bodies: list[tuple[str, str]] = field(default_factory=list)  # (request, status + headers + body)
    transcript: list[dict[str, Any]] = field(default_factory=list)


def wait_ended(api: httpx.Client, call_id: str, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        detail = api.get(f"/api/calls/{call_id}").json()
        if detail.get("record", {}).get("status") == "ended":
            return detail
        time.sleep(0.5)
    raise AssertionError(f"call {call_id} did not end")


def inbound_call(acs: httpx.Client, api: httpx.Client) -> dict[str, Any]:
    script = [{"wait_for_agent": 10}, {"say": "my number"}, {"wait_for_agent": 10}, {"hangup": True}]
    response = acs.post("/simulator/calls/inbound", json={"from": CALLER, "to": "+18005550100", "script": script})
    assert response.status_code in (200, 201, 202), response.text
    server_call_id = response.json()["server_call_id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for record in api.get("/api/calls", params={"limit": 100}).json()["calls"]:
            if record["server_call_id"] == server_call_id:
                return wait_ended(api, record["call_id"])
        time.sleep(0.3)
    raise AssertionError("no record for the inbound call")


def refused_requests(run: Run, api: httpx.Client) -> None:
    """Requests that must fail; their whole responses are kept for the scan."""
    bridge = f"http://127.0.0.1:{run.stack.ports.bridge}"
    key = {"x-functions-key": run.secrets["function_key"]}
    attempts: list[tuple[str, str, str, dict[str, Any]]] = [
        ("GET", f"{api.base_url}/api/internal/calls/x/agent", "no key", {}),
        ("GET", f"{api.base_url}/api/internal/calls/x/agent", "wrong key", {"headers": {"x-functions-key": "nope"}}),
        ("GET", f"{api.base_url}/api/internal/calls/unknown/agent", "unknown call", {"headers": key}),
        ("POST", f"{api.base_url}/api/callbacks/c1?token=forged", "forged token", {"json": []}),
        ("POST", f"{api.base_url}/api/callbacks", "webhook without key", {"json": []}),
        ("POST", f"{api.base_url}/api/session", "unknown agent", {"json": {"agent": "nobody"}}),
        ("POST", f"{api.base_url}/api/session", "foreign origin", {"headers": {"origin": "https://evil.example"}}),
        ("POST", f"{api.base_url}/api/function-call", "not JSON", {"content": b"{", "headers": key}),
        ("POST", f"{api.base_url}/api/call", "bad number", {"json": {"number": "555"}}),
        ("POST", f"{api.base_url}/runtime/webhooks/eventgrid?functionName=incoming_call", "no system key", {}),
        ("GET", f"{bridge}/acs/media/c1?token=forged", "forged media token", {}),
        ("GET", f"{bridge}/acs/media/c1", "no media token", {}),
        ("GET", f"{api.base_url}/api/healthz", "health", {}),
        ("GET", f"{api.base_url}/api/runtime-config.js", "runtime config", {}),
        ("GET", f"{bridge}/metrics", "bridge metrics", {}),
    ]
    for method, url, what, options in attempts:
        response = httpx.request(method, url, timeout=10, **options)
        if what not in ("health", "runtime config", "bridge metrics"):
            assert response.status_code >= 400, (what, response.status_code)
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        run.error_bodies.append((f"{what}: {method} {url}", f"{response.status_code}\n{headers}\n{response.text}"))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    data = tmp_path_factory.mktemp("stack")
    (data / "scenario.json").write_text(json.dumps(SCENARIO))
    stack = build_stack(
        Ports.ephemeral(),
        data,
        realtime_mode=["--scenario", str(data / "scenario.json"), "--voice", "tone"],
        persist=False,
        extra_settings={"REDACT_TRANSCRIPTS": "true", "NO_ANSWER_SECONDS": "6"},
    )
    result = Run(stack, data / "logs", json.loads((data / "devstack.json").read_text()))
    try:
        start(stack, result.log_dir, announce=False)
        with (
            httpx.Client(base_url=stack.api_url, timeout=15) as api,
            httpx.Client(base_url=stack.acs_url, timeout=15) as acs,
        ):
            acs.post("/simulator/behaviours", json={"default": {"kind": "answer"}})
            session = api.post("/api/session", json={"agent": "telecom"})
            assert session.status_code == 200, session.text
            result.secrets["ephemeral_key"] = session.json()["ephemeral_key"]
            result.transcript = inbound_call(acs, api)["transcript"]
            acs.post(
                "/simulator/behaviours",
                json={CALLEE: {"kind": "answer", "script": [{"wait_for_agent": 10}, {"hangup": True}]}},
            )
            placed = api.post("/api/call", json={"number": CALLEE, "agent": "telecom"})
            assert placed.status_code == 202, placed.text
            wait_ended(api, placed.json()["call_id"])
            assert api.post("/api/do-not-call", json={"number": DNC_NUMBER}).status_code in (200, 201)
            assert api.get(f"/api/do-not-call/{DNC_NUMBER}").status_code == 200
            refused_requests(result, api)
    finally:
        stop(stack)
    yield result


def log_texts(log_dir: Path) -> dict[str, str]:
    texts = {path.name: path.read_text(errors="replace") for path in sorted(log_dir.glob("*.log"))}
    assert {"function.log", "bridge.log", "acs.log", "realtime.log"} <= set(texts), sorted(texts)
    assert all(texts[name] for name in ("function.log", "bridge.log")), "the services logged nothing"
    return texts


def leaks(text: str, secrets: dict[str, str], shapes: bool = True) -> list[str]:
    found = [f"the {name}" for name, value in secrets.items() if value and value in text]
    if shapes:
        found += [
            f"a {shape}: {m.group(0)[:40]}" for shape, pattern in KEY_SHAPES.items() for m in pattern.finditer(text)
        ]
    return found


def number_forms(number: str) -> list[str]:
    """The ways a number can appear: E.164, national digits, dashed, as ACS raw ids."""
    digits = number.lstrip("+")
    national = digits[1:]
    return [number, digits, national, f"{national[:3]}-{national[3:6]}-{national[6:]}", f"4:{number}"]


def test_logs_hold_no_key_secret_or_key_shaped_string(run: Run) -> None:
    problems = [f"{name}: {leak}" for name, text in log_texts(run.log_dir).items() for leak in leaks(text, run.secrets)]
    assert problems == [], "\n".join(problems)


def test_logs_hold_no_caller_or_callee_phone_number(run: Run) -> None:
    texts = log_texts(run.log_dir)
    assert "call in-" in texts["function.log"] or "call out-" in texts["function.log"]  # calls were logged
    # Azurite's own request log shows call records (which hold the callers' numbers); the do-not-call
    # list is keyed by an HMAC of the number, so no log, Azurite's included, may show that one.
    checks = {name: (DNC_NUMBER,) if name == "azurite.log" else (CALLER, CALLEE, DNC_NUMBER) for name in texts}
    problems = [
        f"{name}: {form}"
        for name, text in texts.items()
        for number in checks[name]
        for form in number_forms(number)
        if form in text
    ]
    assert problems == [], "\n".join(problems)


def test_error_responses_hold_no_secret(run: Run) -> None:
    assert len(run.error_bodies) >= 10
    problems = [f"{what}: {leak}" for what, body in run.error_bodies for leak in leaks(body, run.secrets)]
    assert problems == [], "\n".join(problems)


def test_stored_transcript_is_redacted(run: Run) -> None:
    caller_lines = [line["text"] for line in run.transcript if line["role"] == "caller"]
    assert caller_lines == ["my number is [phone number] and my card is [card number]"]


def test_front_end_bundle_holds_no_secret_or_key_shaped_string(run: Run) -> None:
    dist = REPO / "frontend" / "dist"
    if not (dist / "index.html").exists():
        pytest.skip("frontend/dist is not built (make test builds it first)")
    secrets = dict(run.secrets)
    local = REPO / ".data" / "devstack.json"  # the developer's own `make run` keys, when present
    if local.exists():
        secrets.update({f"local {k}": v for k, v in json.loads(local.read_text()).items()})
    files = [path for path in dist.rglob("*") if path.is_file()]
    assert files
    problems = [
        f"{path.relative_to(dist)}: {leak}"
        for path in files
        for leak in leaks(path.read_bytes().decode("utf-8", errors="replace"), secrets)
    ]
    assert problems == [], "\n".join(problems)


def test_the_scan_finds_a_planted_secret(run: Run) -> None:
    """The scanner itself can fail: a key, a JWT and a number planted in text are found."""
    planted = f"x-functions-key: {run.secrets['function_key']} eyJabcdefghij.eyJabcdefghij.abcdefghijk"
    assert len(leaks(planted, run.secrets)) >= 3
    assert any(form in f"dialled {CALLER[2:]}" for form in number_forms(CALLER))

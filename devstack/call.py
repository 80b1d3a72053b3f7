"""`make call`: place a simulated phone call through the running local stack (`make run`).

The ACS simulator plays the caller: it dials the function app's number (inbound) or answers the
function app's outbound call, speaks the given sentences with eSpeak NG, and records both sides.
This prints the live transcript and tool calls, writes the conversation to a WAV file (caller on
the left channel, agent on the right) and prints the call record at the end.

    python -m devstack.call --say "what is my balance for account ACC-1001" --say "goodbye"
    python -m devstack.call --outbound +14255550123 --agent telecom
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from devstack.run import ACS_NUMBER, Ports

DEFAULT_SENTENCES = ("what is my balance for account A C C one zero zero one", "thank you goodbye")
CALL_LIMIT_SECONDS = 300.0


def caller_script(sentences: list[str], dtmf: str | None, wav: Path | None) -> list[dict[str, Any]]:
    script: list[dict[str, Any]] = [{"wait_for_agent": 12}]
    if wav is not None:
        script += [{"wav": str(wav.resolve())}, {"wait_for_agent": 20}]
    if dtmf:
        script += [{"dtmf": dtmf}, {"wait_for_agent": 15}]
    for sentence in sentences:
        script += [{"say": sentence}, {"wait_for_agent": 20}]
    return [*script, {"silence": 2}, {"hangup": True}]


def find_record(api: httpx.Client, server_call_id: str, deadline: float) -> dict[str, Any]:
    while time.monotonic() < deadline:
        for record in api.get("/api/calls", params={"limit": 100}).json().get("calls", []):
            if record.get("server_call_id") == server_call_id:
                found: dict[str, Any] = record
                return found
        time.sleep(0.3)
    raise RuntimeError("the function app did not answer the call (is `make run` running?)")


def follow(api: httpx.Client, call_id: str) -> dict[str, Any]:
    """Print transcript lines and tool calls as they arrive; returns the final detail."""
    shown_lines, shown_tools = 0, 0
    deadline = time.monotonic() + CALL_LIMIT_SECONDS
    while time.monotonic() < deadline:
        detail = api.get(f"/api/calls/{call_id}").json()
        for line in detail["transcript"][shown_lines:]:
            print(f"  {line['role']:>6}: {line['text']}", flush=True)
        for tool in detail["tool_calls"][shown_tools:]:
            print(f"  [tool] {tool['name']}({json.dumps(tool.get('arguments'))}) ok={tool.get('ok')}", flush=True)
        shown_lines, shown_tools = len(detail["transcript"]), len(detail["tool_calls"])
        if detail["record"]["status"] == "ended":
            return dict(detail)
        time.sleep(0.5)
    raise RuntimeError(f"call {call_id} did not end within {CALL_LIMIT_SECONDS:.0f} s")


def place_inbound(acs: httpx.Client, args: argparse.Namespace, script: list[dict[str, Any]]) -> dict[str, Any]:
    response = acs.post("/simulator/calls/inbound", json={"from": args.caller, "to": args.to, "script": script})
    response.raise_for_status()
    return dict(response.json())


def place_outbound(
    api: httpx.Client, acs: httpx.Client, args: argparse.Namespace, script: list[dict[str, Any]]
) -> tuple[str, str]:
    acs.post("/simulator/behaviours", json={args.outbound: {"kind": "answer", "script": script}}).raise_for_status()
    response = api.post("/api/call", json={"number": args.outbound, "agent": args.agent})
    if response.status_code != 202:
        raise RuntimeError(f"POST /api/call answered {response.status_code}: {response.text}")
    call_id = str(response.json()["call_id"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for call in acs.get("/simulator/calls").json()["calls"]:
            if call["far_end"] == args.outbound and call["state"] != "disconnected":
                return call_id, str(call["id"])
        time.sleep(0.3)
    raise RuntimeError("the ACS simulator never saw the outbound call")


def save_audio(acs: httpx.Client, sim_call_id: str, out: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        response = acs.get(f"/simulator/calls/{sim_call_id}/audio", params={"side": "conversation"})
        if response.status_code == 200:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(response.content)
            print(f"Audio: {out} (caller left, agent right)")
            return
        time.sleep(0.5)
    print("Audio: not available", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.call", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--say", action="append", help="a sentence the caller says (repeatable)")
    parser.add_argument("--dtmf", help="keys the caller presses after the greeting, e.g. 1#")
    parser.add_argument("--wav", type=Path, help="a WAV file the caller plays after the greeting")
    parser.add_argument("--caller", default="+14255550101", help="the caller's number (inbound)")
    parser.add_argument("--to", default=ACS_NUMBER, help="the number dialled (inbound; picks the agent)")
    parser.add_argument("--outbound", help="place an outbound call to this number instead")
    parser.add_argument("--agent", default="default", help="agent for an outbound call")
    parser.add_argument("--out", type=Path, default=Path(".data/calls/last-call.wav"))
    args = parser.parse_args(argv)
    ports = Ports()
    script = caller_script(args.say or list(DEFAULT_SENTENCES), args.dtmf, args.wav)
    try:
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{ports.host}", timeout=15) as api,
            httpx.Client(base_url=f"http://127.0.0.1:{ports.acs}", timeout=15) as acs,
        ):
            if args.outbound:
                call_id, sim_call_id = place_outbound(api, acs, args, script)
            else:
                sim_call = place_inbound(acs, args, script)
                sim_call_id = sim_call["id"]
                call_id = find_record(api, sim_call["server_call_id"], time.monotonic() + 30)["call_id"]
            print(f"Call {call_id} ({'outbound' if args.outbound else 'inbound'}):", flush=True)
            detail = follow(api, call_id)
            save_audio(acs, sim_call_id, args.out)
    except (httpx.HTTPError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("Record:")
    print(json.dumps(detail["record"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

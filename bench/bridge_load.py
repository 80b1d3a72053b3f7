"""Bridge load benchmark: N concurrent calls of real-time 20 ms frames through the bridge.

    .venv/bin/python -m bench.bridge_load                      # N = 10,50,100,200,400, 20 s each
    .venv/bin/python -m bench.bridge_load --calls 10 --seconds 3   # quick run

Three processes on loopback: the bridge (`python -m bridge`, measured), this process (the ACS side of
every call plus the function app's internal endpoints) and an echo model (a child process speaking the
GA Realtime protocol: it answers every `input_audio_buffer.append` with the same audio as
`response.output_audio.delta`, and on "tool calls" it asks for a function call every 2 s). Frames carry
(call, sequence) tags, and both sides stamp them with CLOCK_MONOTONIC (shared by processes), so each
direction's latency is measured per frame. The load generators share the 2 cores with the bridge, so
the latencies are upper bounds of what the bridge adds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from bridge.tokens import issue_media_token

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-call-token-secret-0123456789abcdef"  # noqa: S105 - loopback-only test secret
MODEL_KEY = "bench-model-key"
FRAME = 960
TOOL_CALLS = 20  # calls that also make a tool call every 2 s
TOOL_EVERY = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tagged_frame(call: int, seq: int) -> bytes:
    return struct.pack("<II", call, seq) + bytes(FRAME - 8)


# --- echo model (child process) -------------------------------------------------------------------


def run_echo_model(port: int, results: Any, tool_calls: int, seconds: float) -> None:
    asyncio.run(_echo_model(port, results, tool_calls, seconds))


async def _echo_model(port: int, results: Any, tool_calls: int, seconds: float) -> None:
    last_ask = int(seconds * 50) - 50
    uplink: list[tuple[int, int, float]] = []  # (call, seq, received at)
    downlink: dict[tuple[int, int], float] = {}  # (call, seq) -> sent at
    tools = {"asked": 0, "answered": 0, "wrong": 0, "error": 0}  # wrong = another call's answer

    async def session(ws: ServerConnection) -> None:
        call = -1
        asked: dict[str, int] = {}
        await ws.send(json.dumps({"type": "session.created", "session": {"type": "realtime"}}))

        try:
            async for message in ws:
                event = json.loads(message)
                kind = event["type"]
                if kind == "input_audio_buffer.append":
                    now = time.monotonic()
                    pcm = base64.b64decode(event["audio"])
                    call, seq = struct.unpack_from("<II", pcm)
                    uplink.append((call, seq, now))
                    if call < tool_calls and seq and seq % int(TOOL_EVERY * 50) == 0 and seq <= last_ask:
                        # every 2 s of audio, stopping a second before the call ends: all must be answered
                        tool_call_id = f"tc-{call}-{seq}"
                        asked[tool_call_id] = call
                        tools["asked"] += 1
                        arguments = json.dumps({"call": call})
                        done = {
                            "type": "response.function_call_arguments.done",
                            "call_id": tool_call_id,
                            "name": "lookup",
                            "arguments": arguments,
                            "item_id": f"fc-{call}-{seq}",
                        }
                        await ws.send(json.dumps(done))
                    downlink[(call, seq)] = time.monotonic()
                    await ws.send(
                        '{"type":"response.output_audio.delta","item_id":"echo-' + str(call) + '","content_index":0,'
                        '"delta":"' + event["audio"] + '"}'
                    )
                elif kind == "session.update":
                    await ws.send(json.dumps({"type": "session.updated", "session": event["session"]}))
                elif kind == "response.create":
                    await ws.send('{"type":"response.created","response":{"id":"r"}}')
                    await ws.send(
                        '{"type":"response.done","response":{"id":"r","status":"completed","usage":{"total_tokens":1}}}'
                    )
                elif kind == "conversation.item.create" and event["item"]["type"] == "function_call_output":
                    item = event["item"]
                    owner = asked.pop(item["call_id"], None)
                    output = json.loads(item["output"])
                    if "error" in output:
                        tools["error"] += 1  # a tool timeout or failure reported to the model
                    elif owner is not None and output.get("call") == owner and output.get("path") == f"bench-{owner}":
                        tools["answered"] += 1
                    else:
                        tools["wrong"] += 1
        except ConnectionClosed:
            pass

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    import signal

    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with serve(session, "127.0.0.1", port, compression=None, max_size=None):
        results.put("ready")
        await stop.wait()
    results.put({"uplink": uplink, "downlink": downlink, "tools": tools})


# --- function app -----------------------------------------------------------------------------------


def function_app() -> Starlette:
    async def agent(request: Request) -> JSONResponse:
        session = {
            "type": "realtime",
            "instructions": "bench",
            "tools": [],
            "audio": {"input": {"turn_detection": {"type": "server_vad"}}},
        }
        return JSONResponse(
            {
                "call_id": request.path_params["call_id"],
                "agent": "bench",
                "session": session,
                "greeting": "",
                "max_call_seconds": 3600,
            }
        )

    async def tool(request: Request) -> JSONResponse:
        body = await request.json()
        args = json.loads(body["arguments"])
        return JSONResponse(
            {
                "call_id": body["call_id"],
                "output": json.dumps({"call": args["call"], "path": request.path_params["call_id"]}),
            }
        )

    async def events(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({}, status_code=202)

    return Starlette(
        routes=[
            Route("/api/internal/calls/{call_id}/agent", agent),
            Route("/api/internal/calls/{call_id}/function-call", tool, methods=["POST"]),
            Route("/api/internal/calls/{call_id}/events", events, methods=["POST"]),
        ]
    )


# --- the ACS side ---------------------------------------------------------------------------------


@dataclass
class CallStats:
    sent: dict[int, float] = field(default_factory=dict)  # seq -> sent at
    received: list[tuple[int, float]] = field(default_factory=list)  # (seq, received at)
    dropped: bool = False


async def acs_call(bridge_port: int, call: int, seconds: float, start_at: float, stats: CallStats) -> None:
    call_id = f"bench-{call}"
    url = f"ws://127.0.0.1:{bridge_port}/acs/media/{call_id}?token={issue_media_token(call_id, SECRET)}"
    meta = {
        "kind": "AudioMetadata",
        "audioMetadata": {
            "subscriptionId": "b",
            "encoding": "PCM",
            "sampleRate": 24000,
            "channels": 1,
            "length": FRAME,
        },
    }
    try:
        async with connect(url, compression=None, max_size=None, open_timeout=30) as ws:
            await ws.send(json.dumps(meta))

            async def read() -> None:
                async for message in ws:
                    now = time.monotonic()
                    body = json.loads(message)
                    if body["kind"] == "AudioData":
                        pcm = base64.b64decode(body["audioData"]["data"])
                        stats.received.append((struct.unpack_from("<II", pcm)[1], now))

            reader = asyncio.create_task(read())
            await asyncio.sleep(max(0.0, start_at - time.monotonic()))
            frames = int(seconds * 50)
            for seq in range(frames):
                due = start_at + seq * 0.02
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                data = base64.b64encode(tagged_frame(call, seq)).decode()
                stats.sent[seq] = time.monotonic()
                await ws.send(
                    '{"kind":"AudioData","audioData":{"timestamp":"t","participantRawID":"p","data":"'
                    + data
                    + '","silent":false}}'
                )
            await asyncio.sleep(1.0)  # let in-flight frames arrive
            reader.cancel()
    except (ConnectionClosed, OSError):
        stats.dropped = True


def _proc_cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def run_level(n: int, seconds: float) -> dict[str, Any]:
    import uvicorn

    model_port, bridge_port, fapp_port = free_port(), free_port(), free_port()
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    model = ctx.Process(target=run_echo_model, args=(model_port, results, min(TOOL_CALLS, n), seconds))
    model.start()
    assert results.get(timeout=30) == "ready"
    server = uvicorn.Server(
        uvicorn.Config(function_app(), host="127.0.0.1", port=fapp_port, log_level="warning", lifespan="off")
    )
    fapp_task = asyncio.create_task(server.serve())
    env = {
        **os.environ,
        "BRIDGE_PORT": str(bridge_port),
        "CALL_TOKEN_SECRET": SECRET,
        "FUNCTION_APP_URL": f"http://127.0.0.1:{fapp_port}",
        "FUNCTION_APP_KEY": "k",
        "AZURE_OPENAI_ENDPOINT": f"http://127.0.0.1:{model_port}",
        "AZURE_OPENAI_API_KEY": MODEL_KEY,
        "BRIDGE_MAX_CALLS": str(n + 10),
        "BRIDGE_LOG_LEVEL": "WARNING",
        "BRIDGE_DRAIN_SECONDS": "1",
    }
    command = os.environ.get("BENCH_BRIDGE_COMMAND", f"{sys.executable} -m bridge").split()
    bridge = await asyncio.create_subprocess_exec(*command, cwd=REPO, env=env)
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"http://127.0.0.1:{bridge_port}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
        rss_base = _proc_rss_kib(bridge.pid)
        stats = [CallStats() for _ in range(n)]
        start_at = time.monotonic() + 2.0 + n * 0.01  # everyone connected before audio starts
        tasks = [asyncio.create_task(acs_call(bridge_port, i, seconds, start_at, stats[i])) for i in range(n)]
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        cpu_start = _proc_cpu_ms(bridge.pid)
        await asyncio.sleep(seconds)
        cpu_ms = _proc_cpu_ms(bridge.pid) - cpu_start
        rss_peak = _proc_rss_kib(bridge.pid)
        await asyncio.gather(*tasks)
        metrics_text = ""
        async with httpx.AsyncClient(timeout=30) as http:
            with contextlib.suppress(httpx.HTTPError):
                metrics_text = (await http.get(f"http://127.0.0.1:{bridge_port}/metrics")).text
    finally:
        bridge.terminate()
        await asyncio.wait_for(bridge.wait(), 60)
        model.terminate()
        server.should_exit = True
        await fapp_task
    model_data = results.get(timeout=60)
    model.join(timeout=10)
    up = [t - stats[c].sent[s] for c, s, t in model_data["uplink"] if s in stats[c].sent]
    down = [
        t - model_data["downlink"][(c, s)]
        for c, st in enumerate(stats)
        for s, t in st.received
        if (c, s) in model_data["downlink"]
    ]
    sent = sum(len(s.sent) for s in stats)
    return {
        "n": n,
        "up": [x * 1000 for x in up],
        "down": [x * 1000 for x in down],
        "lost_up": sent - len(model_data["uplink"]),
        "lost_down": len(model_data["downlink"]) - sum(len(s.received) for s in stats),
        "cpu_per_call_s": cpu_ms / (n * seconds),
        "rss_per_call_kib": (rss_peak - rss_base) / n,
        "dropped": sum(s.dropped for s in stats),
        "tools": model_data["tools"],
        "inside_p99_ms": histogram_quantile(metrics_text, "bridge_relay_latency_seconds", 0.99) * 1000,
    }


def histogram_quantile(text: str, name: str, q: float) -> float:
    """Upper bucket bound holding quantile `q` of a Prometheus histogram (as PromQL would bound it)."""
    buckets = []
    for line in text.splitlines():
        if line.startswith(name + "_bucket"):
            bound = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if bound == "+Inf" else float(bound), int(line.split()[-1])))
    total = buckets[-1][1] if buckets else 0
    return next((b for b, c in buckets if c >= q * total), float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bridge_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="10,50,100,200,400", help="comma-separated concurrency levels")
    parser.add_argument("--seconds", type=float, default=20.0, help="audio seconds per call")
    args = parser.parse_args()
    levels = [int(x) for x in args.calls.split(",")]
    print(
        "| calls | up p50 / p99 / max ms | down p50 / p99 / max ms | frames lost up/down | bridge CPU ms per call-s "
        "| RSS KiB per call | tool calls answered | calls dropped | in-bridge uplink p99 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in levels:
        r = asyncio.run(run_level(n, args.seconds))
        t = r["tools"]
        print(
            f"| {n} | {pct(r['up'], 50):.1f} / {pct(r['up'], 99):.1f} / {max(r['up'], default=float('nan')):.1f} "
            f"| {pct(r['down'], 50):.1f} / {pct(r['down'], 99):.1f} / {max(r['down'], default=float('nan')):.1f} "
            f"| {r['lost_up']} / {r['lost_down']} | {r['cpu_per_call_s']:.2f} | {r['rss_per_call_kib']:.0f} "
            f"| {t['answered']}/{t['asked']} (errors {t['error']}, crossed {t['wrong']}) "
            f"| {r['dropped']} | <= {r['inside_p99_ms']:g} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""Bridge load benchmark: N concurrent calls of real-time 20 ms frames through the bridge.

    .venv/bin/python -m bench.bridge_load                      # N = 10,50,100,200,400, 20 s each
    .venv/bin/python -m bench.bridge_load --calls 10 --seconds 3   # quick run

Three processes on loopback: the bridge (`python -m bridge`, measured), this process (the ACS side of
every call plus the function app's internal endpoints) and an echo model (a child process speaking the
GA Realtime protocol: it answers every `input_audio_buffer.append` with the same audio as
`response.output_audio.delta`, and on "tool calls" it asks for a function call every 2 s). Frames carry
(call, sequence) tags, and both sides stamp them with CLOCK_MONOTONIC (shared by processes), so each
direction's latency is measured per frame.

The load side is kept cheap so that it does not starve the bridge on a small machine: one sender task
for all calls (calls spread over `SLOTS` phases of the 20 ms period, as independent phone calls are),
frames built by string concatenation, tags read by slicing, uvloop when installed, and the bridge's
own push connections (`bridge/websocket.py`: messages handled in `data_received`, writes without
awaiting) on both load processes. Bridge CPU is
read from /proc (user + system time of the bridge process only, so other load on the machine does not
count) and divided by the call-seconds the bridge actually relayed (its frame counters), so a saturated
run cannot look cheap by relaying less. The load processes' CPU is reported separately.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import signal
import socket
import struct
import sys
import time
from collections.abc import Coroutine
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

from bridge.acs_protocol import FRAME_MS
from bridge.playback import LEAD_MS
from bridge.tokens import issue_media_token
from bridge.websocket import Message, PushClientConnection, PushServerConnection

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-call-token-secret-0123456789abcdef"  # noqa: S105 - loopback-only test secret
MODEL_KEY = "bench-model-key"
FRAME = 960  # 20 ms of 24 kHz PCM16 mono
FRAMES_PER_SECOND = 50
TOOL_CALLS = 20  # calls that also make a tool call every 2 s
TOOL_EVERY = 2.0
SLOTS = 10  # the calls' frames are spread over 10 phases, 2 ms apart, instead of one 20 ms burst

# A frame is its 8-byte (call, seq) tag, a zero byte, and 951 zero bytes: 9 bytes are exactly 12
# base64 characters, so the tag is encoded alone and the constant rest is encoded once.
_TAG = struct.Struct("<IIx")
_TAG_B64_CHARS = 12
_FRAME_TAIL_B64 = base64.b64encode(bytes(FRAME - _TAG.size)).decode()
UPLINK_HEAD = '{"kind":"AudioData","audioData":{"timestamp":"t","participantRawID":"p","data":"'
UPLINK_END = '","silent":false}}'
DOWNLINK_HEAD = '{"kind":"AudioData","audioData":{"data":"'  # what the bridge sends to ACS
APPEND_HEAD = '{"type":"input_audio_buffer.append","audio":"'  # what the bridge sends to the model


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tagged_b64(call: int, seq: int) -> str:
    """The base64 of one 960-byte frame carrying (call, seq)."""
    return base64.b64encode(_TAG.pack(call, seq)).decode() + _FRAME_TAIL_B64


def read_tag(audio_b64: str) -> tuple[int, int]:
    """(call, seq) from the start of a tagged frame's base64."""
    call, seq = _TAG.unpack(base64.b64decode(audio_b64[:_TAG_B64_CHARS]))
    return call, seq


def run_fast(main: Coroutine[Any, Any, Any]) -> Any:
    """Run `main` on uvloop when it is installed (the load side must stay cheap)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def proc_cpu_ms(pid: int) -> tuple[float, float]:
    """(user, system) CPU time of one process in ms, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    return int(fields[11]) * tick_ms, int(fields[12]) * tick_ms


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- echo model (child process) -------------------------------------------------------------------


def run_echo_model(port: int, results: Any, tool_calls: int, seconds: float) -> None:
    run_fast(_echo_model(port, results, tool_calls, seconds))


async def _echo_model(port: int, results: Any, tool_calls: int, seconds: float) -> None:
    last_ask = int(seconds * FRAMES_PER_SECOND) - FRAMES_PER_SECOND
    ask_every = int(TOOL_EVERY * FRAMES_PER_SECOND)
    uplink: list[tuple[int, int, float]] = []  # (call, seq, received at)
    downlink: dict[tuple[int, int], float] = {}  # (call, seq) -> sent at
    tools = {"asked": 0, "answered": 0, "wrong": 0, "error": 0}  # wrong = another call's answer

    async def session(ws: ServerConnection) -> None:
        assert isinstance(ws, PushServerConnection)
        asked: dict[str, int] = {}

        def on_message(message: Message) -> None:
            assert isinstance(message, str)
            if message.startswith(APPEND_HEAD):
                # The bridge builds appends by concatenation; slicing keeps this process cheap.
                audio = message[len(APPEND_HEAD) : -2]
                uplink_at = time.monotonic()
                call, seq = read_tag(audio)
                uplink.append((call, seq, uplink_at))
                if call < tool_calls and seq and seq % ask_every == 0 and seq <= last_ask:
                    # every 2 s of audio, stopping a second before the call ends: all must be answered
                    tool_call_id = f"tc-{call}-{seq}"
                    asked[tool_call_id] = call
                    tools["asked"] += 1
                    done = {
                        "type": "response.function_call_arguments.done",
                        "call_id": tool_call_id,
                        "name": "lookup",
                        "arguments": json.dumps({"call": call}),
                        "item_id": f"fc-{call}-{seq}",
                    }
                    ws.send_now(json.dumps(done))
                downlink[(call, seq)] = time.monotonic()
                ws.send_now(
                    '{"type":"response.output_audio.delta","item_id":"echo-'
                    + str(call)
                    + '","content_index":0,"delta":"'
                    + audio
                    + '"}'
                )
                return
            event = json.loads(message)
            kind = event["type"]
            if kind == "session.update":
                ws.send_now(json.dumps({"type": "session.updated", "session": event["session"]}))
            elif kind == "response.create":
                ws.send_now('{"type":"response.created","response":{"id":"r"}}')
                ws.send_now(
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

        ws.send_now(json.dumps({"type": "session.created", "session": {"type": "realtime"}}))
        ws.set_handler(on_message)
        await ws.wait_closed()

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with serve(
        session, "127.0.0.1", port, compression=None, max_size=None, create_connection=PushServerConnection
    ):
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
class AcsCall:
    """One simulated ACS media connection and what it sent and received."""

    index: int
    ws: PushClientConnection | None = None  # set once connected and AudioMetadata is sent
    sent: dict[int, float] = field(default_factory=dict)  # seq -> sent at
    received: list[tuple[int, float]] = field(default_factory=list)  # (seq, received at)
    dropped: bool = False


async def acs_call(bridge_port: int, call: AcsCall, done: asyncio.Event) -> None:
    """Connect, announce 24 kHz audio, then record agent frames until `done` (the sender sends)."""
    call_id = f"bench-{call.index}"
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

    def on_message(message: Message) -> None:
        received_at = time.monotonic()
        if isinstance(message, str) and message.startswith(DOWNLINK_HEAD):
            call.received.append((read_tag(message[len(DOWNLINK_HEAD) :])[1], received_at))

    try:
        async with connect(
            url, compression=None, max_size=None, open_timeout=60, create_connection=PushClientConnection
        ) as ws:
            assert isinstance(ws, PushClientConnection)
            ws.set_handler(on_message)
            await ws.send(json.dumps(meta))
            call.ws = ws
            closed = asyncio.create_task(ws.wait_closed())
            stopped = asyncio.create_task(done.wait())
            await asyncio.wait([closed, stopped], return_when=asyncio.FIRST_COMPLETED)
            if closed.done():
                call.dropped = True  # the bridge closed the call before the run ended
            closed.cancel()
            stopped.cancel()
    except (ConnectionClosed, OSError):
        call.dropped = True


async def send_audio(calls: list[AcsCall], seconds: float, start_at: float) -> None:
    """The only sender: every 20 ms each call's next tagged frame, calls spread over `SLOTS` phases."""
    slot_period = 1.0 / FRAMES_PER_SECOND / SLOTS
    for seq in range(int(seconds * FRAMES_PER_SECOND)):
        for slot in range(SLOTS):
            delay = start_at + (seq * SLOTS + slot) * slot_period - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            for call in calls[slot::SLOTS]:
                if call.ws is None:
                    continue
                call.sent[seq] = time.monotonic()
                # Synchronous write (no per-frame await): the generator must cost little next to the bridge.
                call.ws.send_now(UPLINK_HEAD + tagged_b64(call.index, seq) + UPLINK_END)


async def http_get(port: int, path: str) -> httpx.Response:
    """One request on its own connection (the bridge's HTTP endpoints close after each answer)."""
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.get(f"http://127.0.0.1:{port}{path}")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def metric_value(text: str, name: str) -> float:
    """The value of an unlabelled Prometheus sample."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return float("nan")


def pin(pid: int, cpus: set[int] | None) -> None:
    """Keep a process on the given CPUs (None: wherever the kernel likes)."""
    if cpus is not None:
        os.sched_setaffinity(pid, cpus)


async def run_level(n: int, seconds: float, pinned: bool) -> dict[str, Any]:
    import uvicorn

    # Pinned: the bridge has CPU 0 to itself, the load side (this process, the echo model) CPU 1.
    bridge_cpus, load_cpus = ({0}, {1}) if pinned else (None, None)
    pin(os.getpid(), load_cpus)

    model_port, bridge_port, fapp_port = free_port(), free_port(), free_port()
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    model = ctx.Process(target=run_echo_model, args=(model_port, results, min(TOOL_CALLS, n), seconds))
    model.start()
    assert results.get(timeout=30) == "ready"
    assert model.pid is not None
    pin(model.pid, load_cpus)
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
    pin(bridge.pid, bridge_cpus)
    calls = [AcsCall(i) for i in range(n)]
    done = asyncio.Event()
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if (await http_get(bridge_port, "/healthz")).status_code == 200:
                    break
            await asyncio.sleep(0.05)
        rss_base = proc_rss_kib(bridge.pid)
        call_tasks = [asyncio.create_task(acs_call(bridge_port, call, done)) for call in calls]
        start_at = time.monotonic() + 2.0 + n * 0.02  # everyone connected before audio starts
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        metrics_before = (await http_get(bridge_port, "/metrics")).text
        cpu_before = [proc_cpu_ms(pid) for pid in (bridge.pid, os.getpid(), model.pid)]
        await send_audio(calls, seconds, start_at)
        await asyncio.sleep(0.5)  # let in-flight frames arrive
        cpu_after = [proc_cpu_ms(pid) for pid in (bridge.pid, os.getpid(), model.pid)]
        metrics_after = (await http_get(bridge_port, "/metrics")).text
        rss_peak = proc_rss_kib(bridge.pid)
        done.set()
        await asyncio.gather(*call_tasks)
    finally:
        done.set()
        bridge.terminate()
        await asyncio.wait_for(bridge.wait(), 60)
        model.terminate()
        server.should_exit = True
        await fapp_task
    model_data = results.get(timeout=60)
    model.join(timeout=10)
    up = [t - calls[c].sent[s] for c, s, t in model_data["uplink"] if s in calls[c].sent]
    model_sent: dict[int, dict[int, float]] = {}  # call -> seq -> sent by the model at
    for (c, seq), sent_at in model_data["downlink"].items():
        model_sent.setdefault(c, {})[seq] = sent_at
    down = [
        latency for call in calls for latency in downlink_added_latency(call.received, model_sent.get(call.index, {}))
    ]
    frames = sum(
        metric_value(metrics_after, name) - metric_value(metrics_before, name)
        for name in ("bridge_frames_in_total", "bridge_frames_out_total")
    )
    # A call-second of audio relayed = 50 frames in and 50 frames out.
    call_seconds = frames / (2 * FRAMES_PER_SECOND)
    cpu = [sum(after) - sum(before) for before, after in zip(cpu_before, cpu_after, strict=True)]
    bridge_sys = cpu_after[0][1] - cpu_before[0][1]
    return {
        "n": n,
        "up": [x * 1000 for x in up],
        "down": [x * 1000 for x in down],
        "lost_up": sum(len(c.sent) for c in calls) - len(model_data["uplink"]),
        "lost_down": len(model_data["downlink"]) - sum(len(c.received) for c in calls),
        "cpu_per_call_s": cpu[0] / call_seconds if call_seconds else float("nan"),
        "cpu_sys_share": bridge_sys / cpu[0] if cpu[0] else float("nan"),
        "load_cpu_per_call_s": (cpu[1] / call_seconds, cpu[2] / call_seconds) if call_seconds else (0.0, 0.0),
        "relayed_share": call_seconds / (n * seconds),
        "rss_per_call_kib": (rss_peak - rss_base) / n,
        "dropped": sum(c.dropped for c in calls),
        "tools": model_data["tools"],
        "inside_p99_ms": histogram_quantile(metrics_after, "bridge_relay_latency_seconds", 0.99) * 1000,
    }


def downlink_added_latency(received: list[tuple[int, float]], model_sent: dict[int, float]) -> list[float]:
    """Per agent frame: arrival at ACS minus when a zero-cost bridge could have released it.

    The bridge paces agent audio at the rate ACS plays it (at most LEAD_MS ahead), so after the
    echo stalls and then bursts, frames wait for their turn to be played: that wait is real-time
    playout, which no bridge can shorten, not work the bridge adds. The release time of an ideal
    pacer is the model's send time, or later when ACS already holds LEAD_MS of audio.
    """
    arrivals = dict(received)
    frame, lead = FRAME_MS / 1000, LEAD_MS / 1000
    buffer_end = float("-inf")  # when ACS would have played everything an ideal pacer released
    latencies = []
    for seq in sorted(model_sent):
        release = max(model_sent[seq], buffer_end - lead)
        buffer_end = max(buffer_end, release) + frame
        if seq in arrivals:
            latencies.append(arrivals[seq] - release)
    return latencies


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
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=len(os.sched_getaffinity(0)) >= 2,
        help="bridge on CPU 0, load generator and echo model on CPU 1 (default with 2+ CPUs)",
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.calls.split(",")]
    print(
        "| calls | up p50 / p99 / max ms | down p50 / p99 / max ms | frames lost up/down "
        "| bridge CPU ms per call-s (kernel share) | load CPU ms per call-s (ACS side / model) | RSS KiB per call "
        "| tool calls answered | calls dropped | in-bridge uplink p99 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in levels:
        r = run_fast(run_level(n, args.seconds, args.pin))
        t = r["tools"]
        acs_cpu, model_cpu = r["load_cpu_per_call_s"]
        print(
            f"| {n} | {pct(r['up'], 50):.1f} / {pct(r['up'], 99):.1f} / {max(r['up'], default=float('nan')):.1f} "
            f"| {pct(r['down'], 50):.1f} / {pct(r['down'], 99):.1f} / {max(r['down'], default=float('nan')):.1f} "
            f"| {r['lost_up']} / {r['lost_down']} | {r['cpu_per_call_s']:.2f} ({r['cpu_sys_share']:.0%}) "
            f"| {acs_cpu:.2f} / {model_cpu:.2f} "
            f"| {r['rss_per_call_kib']:.0f} | {t['answered']}/{t['asked']} (errors {t['error']}, crossed {t['wrong']}) "
            f"| {r['dropped']} | <= {r['inside_p99_ms']:g} |",
            flush=True,
        )
        if r["relayed_share"] < 0.95:
            print(f"  (only {r['relayed_share']:.0%} of the offered audio was relayed in the window)", flush=True)


if __name__ == "__main__":
    main()

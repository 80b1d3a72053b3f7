"""Bridge load benchmark: N concurrent calls of real-time 20 ms frames through the bridge.

    .venv/bin/python -m bench.bridge_load                      # N = 10,50,100,200,400, 20 s, both bridges
    .venv/bin/python -m bench.bridge_load --calls 10 --seconds 3 --no-baseline   # quick run

Three processes on loopback: the bridge (`python -m bridge`, measured), this process (the ACS side of
every call plus the function app's internal endpoints) and an echo model (a child process speaking the
GA Realtime protocol: it answers every `input_audio_buffer.append` with the same audio as
`response.output_audio.delta`, and on "tool calls" it asks for a function call every 2 s). Frames carry
(call, sequence) tags, and both sides stamp them with CLOCK_MONOTONIC (shared by processes), so each
direction's latency is measured per frame, and every frame is checked to arrive once, in order, on
its own call.

Each level runs twice: the bridge in this tree, and the baseline -- the websockets-based bridge of
`--baseline` (a commit), extracted with `git archive` into a temporary directory and started from
there -- so both are measured in the same run on the same machine. `--modes pinned,unpinned`: pinned
puts the bridge on CPU 0 and the load side on CPU 1 (taskset-style affinity); unpinned lets the kernel
place them.

The load side is kept cheap so that it does not cap the measurement: one sender task for all calls
(calls spread over `SLOTS` phases of the 20 ms period, as independent phone calls are), frames built by
string concatenation, tags read by slicing, uvloop, and picows connections (`bridge/websocket.py`) on
both load processes. Its own lag is reported: how late the sender's frames left against their
schedule, and how late a 5 ms timer fires in each load process (the receive side's delay). Bridge CPU
is read from /proc (user + system time of the bridge process only, so other load on the machine does
not count) and divided by the call-seconds the bridge actually relayed (its frame counters), so a
saturated run cannot look cheap by relaying less. Peak RSS is the bridge's VmHWM.
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
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from picows import WSListener, WSUpgradeRequest, ws_connect, ws_create_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bridge.acs_protocol import FRAME_MS
from bridge.playback import LEAD_MS
from bridge.tokens import issue_media_token
from bridge.websocket import Message, PushConnection

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-call-token-secret-0123456789abcdef"  # noqa: S105 - loopback-only test secret
MODEL_KEY = "bench-model-key"
FRAME = 960  # 20 ms of 24 kHz PCM16 mono
FRAMES_PER_SECOND = 50
TOOL_CALLS = 20  # calls that also make a tool call every 2 s
TOOL_EVERY = 2.0
SLOTS = 10  # the calls' frames are spread over 10 phases, 2 ms apart, instead of one 20 ms burst
# The last bridge on websockets (issue #16 moved the sockets to picows): the same-run baseline.
BASELINE = "d2b0f998a412e5bac51c346ab4dfab65bc68fea4"
ALL_CPUS = os.sched_getaffinity(0)  # before any level pins this process
P99_BAR_MS = 20.0  # "calls per core" counts levels whose p99 both ways is within this

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


def proc_rss_kib(pid: int, field_name: str = "VmRSS") -> int:
    """Resident memory (VmRSS) or its peak so far (VmHWM) of one process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def load_connection() -> PushConnection:
    """A load-side picows connection: no message or queue limit that could cut the generator off."""
    return PushConnection(max_message=1 << 24, max_write_buffer=1 << 30, close_timeout=2.0, name="load")


async def measure_lag(lags: list[float], stop: asyncio.Event, period: float = 0.005) -> None:
    """How late a `period` timer fires in this process: the delay any receipt stamp here can carry."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + period
        await asyncio.sleep(period)
        lags.append(max(0.0, loop.time() - due))


@contextlib.contextmanager
def baseline_tree(commit: str) -> Iterator[Path]:
    """The baseline commit's bridge/ in a temporary directory (`python -m bridge` runs from there)."""
    with tempfile.TemporaryDirectory(prefix="bridge-baseline-") as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "bridge"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield Path(tmp)


# --- echo model (child process) -------------------------------------------------------------------


def run_echo_model(port: int, results: Any, tool_calls: int, seconds: float) -> None:
    run_fast(_echo_model(port, results, tool_calls, seconds))


@dataclass
class ModelSession:
    """What one Realtime session of the echo model saw: which calls' frames, in which order, when it closed."""

    calls: set[int] = field(default_factory=set)  # calls whose frames arrived here (more than one: misrouted)
    last_seq: int = -1
    reordered: int = 0
    closed_at: float = 0.0


async def _echo_model(port: int, results: Any, tool_calls: int, seconds: float) -> None:
    last_ask = int(seconds * FRAMES_PER_SECOND) - FRAMES_PER_SECOND
    ask_every = int(TOOL_EVERY * FRAMES_PER_SECOND)
    uplink: list[tuple[int, int, float]] = []  # (call, seq, received at)
    downlink: dict[tuple[int, int], float] = {}  # (call, seq) -> sent at
    tools = {"asked": 0, "answered": 0, "wrong": 0, "error": 0}  # wrong = another call's answer
    sessions: list[ModelSession] = []
    watchers: set[asyncio.Task[None]] = set()

    def start_session(ws: PushConnection) -> None:
        asked: dict[str, int] = {}
        record = ModelSession()
        sessions.append(record)

        def on_message(message: Message) -> None:
            assert isinstance(message, str)
            if message.startswith(APPEND_HEAD):
                # The bridge builds appends by concatenation; slicing keeps this process cheap.
                audio = message[len(APPEND_HEAD) : -2]
                uplink_at = time.monotonic()
                call, seq = read_tag(audio)
                uplink.append((call, seq, uplink_at))
                record.calls.add(call)
                if seq <= record.last_seq:
                    record.reordered += 1
                record.last_seq = seq
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

        async def watch_close() -> None:
            await ws.wait_closed()
            record.closed_at = time.monotonic()

        ws.send_now(json.dumps({"type": "session.created", "session": {"type": "realtime"}}))
        ws.set_handler(on_message)
        task = asyncio.get_running_loop().create_task(watch_close())
        watchers.add(task)
        task.add_done_callback(watchers.discard)

    def accept(request: WSUpgradeRequest) -> WSListener:
        connection = load_connection()
        connection.on_open = start_session
        return connection

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    lags: list[float] = []
    lag_task = asyncio.create_task(measure_lag(lags, stop))
    server = await ws_create_server(accept, "127.0.0.1", port, max_frame_size=1 << 24)
    results.put("ready")
    await stop.wait()
    server.close()
    await lag_task
    closes = [(min(r.calls), r.closed_at) for r in sessions if r.calls and r.closed_at]
    results.put(
        {
            "uplink": uplink,
            "downlink": downlink,
            "tools": tools,
            "misrouted": sum(len(r.calls) - 1 for r in sessions if r.calls),
            "reordered": sum(r.reordered for r in sessions),
            "closes": closes,
            "lags": lags,
        }
    )


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
    ws: PushConnection | None = None  # set once connected and AudioMetadata is sent
    sent: dict[int, float] = field(default_factory=dict)  # seq -> sent at
    received: list[tuple[int, float]] = field(default_factory=list)  # (seq, received at)
    misrouted: int = 0  # frames of another call received here
    hung_up_at: float = 0.0  # when this side started closing (the caller hangs up)
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
            owner, seq = read_tag(message[len(DOWNLINK_HEAD) :])
            if owner != call.index:
                call.misrouted += 1
            call.received.append((seq, received_at))

    try:
        _, ws = await asyncio.wait_for(ws_connect(load_connection, url, max_frame_size=1 << 24), 60)
    except (OSError, TimeoutError, Exception):
        call.dropped = True
        return
    assert isinstance(ws, PushConnection)
    ws.set_handler(on_message)
    ws.send_now(json.dumps(meta))
    call.ws = ws
    closed = asyncio.create_task(ws.wait_closed())
    stopped = asyncio.create_task(done.wait())
    await asyncio.wait([closed, stopped], return_when=asyncio.FIRST_COMPLETED)
    if closed.done():
        call.dropped = True  # the bridge closed the call before the run ended
    closed.cancel()
    stopped.cancel()
    call.hung_up_at = time.monotonic()
    await ws.close()


async def send_audio(calls: list[AcsCall], seconds: float, start_at: float, late: list[float]) -> None:
    """The only sender: every 20 ms each call's next tagged frame, calls spread over `SLOTS` phases.

    `late` gets, per slot, how far behind its schedule the sender started it (its own lag).
    """
    slot_period = 1.0 / FRAMES_PER_SECOND / SLOTS
    for seq in range(int(seconds * FRAMES_PER_SECOND)):
        for slot in range(SLOTS):
            delay = start_at + (seq * SLOTS + slot) * slot_period - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                delay = start_at + (seq * SLOTS + slot) * slot_period - time.monotonic()
            late.append(max(0.0, -delay))
            for call in calls[slot::SLOTS]:
                if call.ws is None:
                    continue
                call.sent[seq] = time.monotonic()
                # Synchronous write (no per-frame await): the generator must cost little next to the bridge.
                call.ws.send_now(UPLINK_HEAD + tagged_b64(call.index, seq) + UPLINK_END)


async def http_get(port: int, path: str, attempts: int = 3) -> httpx.Response:
    """One request on its own connection (the bridge's HTTP endpoints close after each answer).

    A saturated bridge answers late or drops the request (the websockets baseline closes a request
    not answered within its 10 s handshake timeout), so a failed attempt is retried.
    """
    for attempt in range(attempts):
        try:
            async with httpx.AsyncClient(timeout=120) as http:
                return await http.get(f"http://127.0.0.1:{port}{path}")
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


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


def reordered(received: list[tuple[int, float]]) -> int:
    """Frames that arrived after a later one of the same call."""
    count, last = 0, -1
    for seq, _ in received:
        if seq <= last:
            count += 1
        last = max(last, seq)
    return count


async def run_level(n: int, seconds: float, pinned: bool, bridge_dir: Path) -> dict[str, Any]:
    import uvicorn

    # Pinned: the bridge has CPU 0 to itself, the load side (this process, the echo model) CPU 1.
    bridge_cpus, load_cpus = ({0}, {1}) if pinned else (None, None)
    pin(os.getpid(), load_cpus or ALL_CPUS)  # children (model, bridge) inherit it until pinned

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
    bridge = await asyncio.create_subprocess_exec(*command, cwd=bridge_dir, env=env)
    pin(bridge.pid, bridge_cpus)
    calls = [AcsCall(i) for i in range(n)]
    done = asyncio.Event()
    lag_stop = asyncio.Event()
    lags: list[float] = []
    late: list[float] = []
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
        lag_task = asyncio.create_task(measure_lag(lags, lag_stop))
        await send_audio(calls, seconds, start_at, late)
        await asyncio.sleep(0.5)  # let in-flight frames arrive
        lag_stop.set()
        await lag_task
        cpu_after = [proc_cpu_ms(pid) for pid in (bridge.pid, os.getpid(), model.pid)]
        metrics_after = (await http_get(bridge_port, "/metrics")).text
        rss_peak = proc_rss_kib(bridge.pid, "VmHWM")
        done.set()  # every caller hangs up at once
        await asyncio.gather(*call_tasks)
        for _ in range(100):  # until the bridge has ended every call (bounded: 100 polls)
            with contextlib.suppress(httpx.HTTPError):
                if metric_value((await http_get(bridge_port, "/metrics")).text, "bridge_active_calls") == 0:
                    break
            await asyncio.sleep(0.05)
    except BaseException:
        model.kill()  # a terminated model would block flushing results nobody will read
        raise
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
    # Hang-up to model session closed, per call (a session that never closed counts as infinite).
    closed_at = dict(model_data["closes"])
    close_s = [closed_at.get(c.index, float("inf")) - c.hung_up_at for c in calls if c.hung_up_at]
    return {
        "n": n,
        "up": [x * 1000 for x in up],
        "down": [x * 1000 for x in down],
        "lost_up": sum(len(c.sent) for c in calls) - len(model_data["uplink"]),
        "lost_down": len(model_data["downlink"]) - sum(len(c.received) for c in calls),
        "reordered": model_data["reordered"] + sum(reordered(c.received) for c in calls),
        "misrouted": model_data["misrouted"] + sum(c.misrouted for c in calls),
        "cpu_per_call_s": cpu[0] / call_seconds if call_seconds else float("nan"),
        "cpu_sys_share": bridge_sys / cpu[0] if cpu[0] else float("nan"),
        "load_cpu_per_call_s": (cpu[1] / call_seconds, cpu[2] / call_seconds) if call_seconds else (0.0, 0.0),
        "relayed_share": call_seconds / (n * seconds),
        "rss_peak_mib": rss_peak / 1024,
        "rss_per_call_kib": (rss_peak - rss_base) / n,
        "dropped": sum(c.dropped for c in calls),
        "tools": model_data["tools"],
        "inside_p99_ms": histogram_quantile(metrics_after, "bridge_relay_latency_seconds", 0.99) * 1000,
        "close_max_s": max(close_s, default=float("nan")),
        "close_over_1s": sum(x > 1.0 for x in close_s),
        "sender_late_ms": (pct(late, 99) * 1000, max(late, default=0.0) * 1000),
        "lag_ms": (pct(lags, 99) * 1000, pct(model_data["lags"], 99) * 1000),
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


HEADER = (
    "| bridge | calls | up p50 / p99 / max ms | down p50 / p99 / max ms | frames lost up/down, reordered, misrouted "
    "| bridge CPU ms per call-s (kernel share) | peak RSS MiB / KiB per call | model closed after hang-up: max s "
    "(> 1 s) | tool calls answered | calls dropped | load side: CPU ms per call-s (ACS / model), sender late "
    "p99 / max ms, timer lag p99 ms (ACS / model) |"
)


def row(label: str, r: dict[str, Any]) -> str:
    """One table row of a level's figures."""
    t = r["tools"]
    acs_cpu, model_cpu = r["load_cpu_per_call_s"]
    up, down = r["up"], r["down"]
    nan = float("nan")
    return (
        f"| {label} | {r['n']} | {pct(up, 50):.1f} / {pct(up, 99):.1f} / {max(up, default=nan):.1f} "
        f"| {pct(down, 50):.1f} / {pct(down, 99):.1f} / {max(down, default=nan):.1f} "
        f"| {r['lost_up']} / {r['lost_down']}, {r['reordered']}, {r['misrouted']} "
        f"| {r['cpu_per_call_s']:.2f} ({r['cpu_sys_share']:.0%}) "
        f"| {r['rss_peak_mib']:.0f} / {r['rss_per_call_kib']:.0f} "
        f"| {r['close_max_s']:.2f} ({r['close_over_1s']}) "
        f"| {t['answered']}/{t['asked']} (errors {t['error']}, crossed {t['wrong']}) | {r['dropped']} "
        f"| {acs_cpu:.2f} / {model_cpu:.2f}, {r['sender_late_ms'][0]:.1f} / {r['sender_late_ms'][1]:.1f}, "
        f"{r['lag_ms'][0]:.1f} / {r['lag_ms'][1]:.1f} |"
    )


def calls_per_core(results: list[dict[str, Any]]) -> str:
    """The highest pinned level (one bridge core) with p99 <= 20 ms both ways and nothing lost, and
    the CPU-bound estimate (1000 ms / CPU per call-second) at the highest level that relayed at least
    95% of the offered audio (a saturated bridge batches more per wake-up and looks cheaper)."""
    good = [
        r["n"]
        for r in results
        if pct(r["up"], 99) <= P99_BAR_MS and pct(r["down"], 99) <= P99_BAR_MS and r["lost_up"] + r["lost_down"] == 0
    ]
    healthy = [r for r in results if r["relayed_share"] >= 0.95]
    if not healthy:
        return f"{max(good, default=0)} measured; no level relayed 95% of its audio"
    top = max(healthy, key=lambda r: r["n"])
    return f"{max(good, default=0)} measured; ~{1000 / top['cpu_per_call_s']:.0f} by CPU at {top['n']} calls"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bridge_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="10,50,100,200,400", help="comma-separated concurrency levels")
    parser.add_argument("--seconds", type=float, default=20.0, help="audio seconds per call")
    parser.add_argument(
        "--modes",
        default="pinned,unpinned" if len(os.sched_getaffinity(0)) >= 2 else "unpinned",
        help="pinned (bridge on CPU 0, load side on CPU 1) and/or unpinned",
    )
    parser.add_argument("--baseline", default=BASELINE, help="commit of the websockets bridge measured beside")
    parser.add_argument("--no-baseline", dest="baseline", action="store_const", const="", help="this bridge only")
    args = parser.parse_args()
    levels = [int(x) for x in args.calls.split(",")]
    with contextlib.ExitStack() as stack:
        bridges = [("picows", REPO)]
        if args.baseline:
            bridges.append((f"websockets {args.baseline[:7]}", stack.enter_context(baseline_tree(args.baseline))))
        for mode in args.modes.split(","):
            print(f"\n{mode}:\n\n{HEADER}\n|{'---|' * 12}", flush=True)
            by_bridge: dict[str, list[dict[str, Any]]] = {}
            for n in levels:
                for label, bridge_dir in bridges:
                    try:
                        r = run_fast(run_level(n, args.seconds, mode == "pinned", bridge_dir))
                    except Exception as exc:  # a level that breaks is reported; the others still run
                        print(f"| {label} | {n} | failed: {type(exc).__name__}: {str(exc)[:120]} |", flush=True)
                        continue
                    by_bridge.setdefault(label, []).append(r)
                    print(row(label, r), flush=True)
                    if r["relayed_share"] < 0.95:
                        print(f"  (only {r['relayed_share']:.0%} of the offered audio was relayed)", flush=True)
            if mode == "pinned":
                for label, results in by_bridge.items():
                    print(f"\ncalls per bridge core at p99 <= {P99_BAR_MS:g} ms, {label}: {calls_per_core(results)}")


if __name__ == "__main__":
    main()

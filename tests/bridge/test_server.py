"""The bridge server refuses what it must, cleanly, and reports its health."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import CloseCode

from bridge.tokens import issue_media_token
from tests.bridge.harness import (
    FUNCTION_KEY,
    SECRET,
    FakeAcs,
    FakeFunctionApp,
    acs_call,
    audio_frame,
    metadata,
    running_stack,
    wait_until,
)
from tests.devstack.realtime.harness import API_KEY, running_simulator
from tests.support.servers import serve_in_loop

REPO = Path(__file__).resolve().parents[2]


async def refused_status(url: str) -> tuple[int, dict]:
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url):
            pass
    response = caught.value.response
    return response.status_code, json.loads(response.body)


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        (None, 401, "missing_token"),
        ("not-a-jwt", 401, "invalid_token"),
        (issue_media_token("call-a", "another-secret-0123456789-abcdefghij"), 401, "invalid_token"),
        (issue_media_token("call-a", SECRET, ttl_seconds=60, now=0), 401, "expired_token"),
        (issue_media_token("call-b", SECRET), 403, "token_for_other_call"),
    ],
)
async def test_bad_tokens_are_refused_at_the_handshake_before_any_model_session(token, status, code) -> None:
    async with running_stack() as stack:
        url = f"{stack.media_base}/call-a" + (f"?token={token}" if token else "")
        got_status, body = await refused_status(url)
        assert (got_status, body["error"]["code"]) == (status, code)
        assert stack.simulator.conversations == []
        assert stack.function_app.agent_requests == []


async def close_code_of(acs: FakeAcs) -> int | None:
    await asyncio.wait_for(acs.closed.wait(), 10)
    return acs.socket.close_code


async def test_malformed_frame_closes_the_call_with_policy_violation_and_ends_the_model_session() -> None:
    async with running_stack() as stack, acs_call(stack, "call-bad-frame") as acs:
        await wait_until(lambda: len(stack.simulator.sockets) == 1)
        await acs.socket.send("{not json")
        assert await close_code_of(acs) == CloseCode.POLICY_VIOLATION
        await wait_until(lambda: not stack.simulator.sockets)
        await wait_until(lambda: stack.function_app.events("call-bad-frame", "media_ended"))
    events = stack.function_app.events("call-bad-frame", "media_ended")
    assert events[0]["reason"] == "protocol_error"


async def test_frame_of_ten_megabytes_is_refused_with_message_too_big() -> None:
    async with running_stack() as stack:
        # No `async with`: the bridge aborts mid-frame, and closing again would only race that abort.
        socket = await connect(stack.url("call-huge"), max_size=None)
        await socket.send(metadata())
        acs = FakeAcs(socket)
        await wait_until(lambda: len(stack.simulator.sockets) == 1)
        with contextlib.suppress(ConnectionClosed):  # the bridge may close while we are still writing
            await socket.send("x" * (10 * 1024 * 1024))
        assert await close_code_of(acs) == CloseCode.MESSAGE_TOO_BIG
        await wait_until(lambda: not stack.simulator.sockets)


async def test_binary_frames_are_refused_as_unsupported_data() -> None:
    async with running_stack() as stack, acs_call(stack, "call-binary") as acs:
        await wait_until(lambda: len(stack.simulator.sockets) == 1)
        await acs.socket.send(b"\x00\x01")
        assert await close_code_of(acs) == CloseCode.UNSUPPORTED_DATA


async def test_client_that_never_sends_metadata_is_closed_without_a_model_session() -> None:
    async with (
        running_stack(idle_timeout_seconds=0.3) as stack,
        acs_call(stack, "call-mute", send_metadata=False) as acs,
    ):
        assert await close_code_of(acs) == CloseCode.POLICY_VIOLATION
        assert acs.socket.close_reason == "no AudioMetadata received"
        assert stack.simulator.conversations == []


async def test_audio_before_metadata_is_a_policy_violation() -> None:
    async with running_stack() as stack, acs_call(stack, "call-early", send_metadata=False) as acs:
        await acs.socket.send(audio_frame(bytes(960)))
        assert await close_code_of(acs) == CloseCode.POLICY_VIOLATION
        assert stack.simulator.conversations == []


async def test_unknown_call_is_closed_with_policy_violation() -> None:
    async with running_stack(function_app=FakeFunctionApp(known_calls=set())) as stack:
        async with acs_call(stack, "call-unknown") as acs:
            assert await close_code_of(acs) == CloseCode.POLICY_VIOLATION
        assert stack.simulator.conversations == []


async def test_calls_beyond_capacity_are_told_to_try_again_later() -> None:
    async with running_stack(max_calls=1) as stack, acs_call(stack, "call-one") as first:
        await wait_until(lambda: len(stack.simulator.sockets) == 1)
        async with acs_call(stack, "call-two") as second:
            assert await close_code_of(second) == CloseCode.TRY_AGAIN_LATER
        assert not first.closed.is_set()
        async with httpx.AsyncClient() as http:
            ready = await http.get(f"http://127.0.0.1:{stack.bridge.port}/readyz")
        assert ready.status_code == 503 and ready.json()["error"]["code"] == "at_capacity"


async def test_caller_hang_up_closes_the_model_session_and_reports_the_end() -> None:
    async with running_stack() as stack:
        async with acs_call(stack, "call-hangup"):
            await wait_until(lambda: len(stack.simulator.sockets) == 1)
        await wait_until(lambda: not stack.simulator.sockets)
        await wait_until(lambda: stack.function_app.events("call-hangup", "media_ended"))
        assert stack.function_app.events("call-hangup", "media_ended")[0]["reason"] == "caller_hung_up"


async def test_model_drop_is_reconnected_once_with_the_session_restored_then_reported_as_failed() -> None:
    async with running_stack() as stack, acs_call(stack, "call-drop") as acs:
        sim = stack.simulator
        await wait_until(lambda: len(sim.sockets) == 1)
        await acs.wait_for(lambda: len(acs.audio()) > 0)
        await sim.drop_sessions()
        await wait_until(lambda: len(sim.conversations) == 2 and len(sim.sockets) == 1)
        restored = sim.conversations[1]
        await wait_until(lambda: restored.session["instructions"] == "You are a test agent.")
        assert not acs.closed.is_set()

        sim.refuse_connections = True
        await wait_until(lambda: len(sim.sockets) == 1)
        await sim.drop_sessions()
        assert await close_code_of(acs) == CloseCode.INTERNAL_ERROR
    await wait_until(lambda: stack.function_app.events("call-drop", "model_failed"))
    assert stack.function_app.events("call-drop", "media_ended")[0]["reason"] == "model_closed"


async def test_health_readiness_and_metrics_endpoints() -> None:
    async with running_stack() as stack, acs_call(stack, "call-metrics") as acs:
        await acs.wait_for(lambda: len(acs.audio()) > 0)
        base = f"http://127.0.0.1:{stack.bridge.port}"
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{base}/healthz")).json() == {"status": "ok"}
            ready = await http.get(f"{base}/readyz")
            metrics = (await http.get(f"{base}/metrics")).text
            missing = await http.get(f"{base}/nope")
        assert ready.status_code == 200 and ready.json()["active_calls"] == 1
        assert "bridge_active_calls 1" in metrics and "bridge_frames_out_total" in metrics
        assert "bridge_relay_latency_seconds_bucket" in metrics
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_sigterm_drains_live_calls_then_exits_cleanly() -> None:
    fapp = FakeFunctionApp()
    async with running_simulator({}) as (sim, sim_url), serve_in_loop(fapp.app()) as fport:
        port_probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = port_probe.sockets[0].getsockname()[1]
        port_probe.close()
        await port_probe.wait_closed()
        env = {
            **os.environ,
            "BRIDGE_PORT": str(port),
            "CALL_TOKEN_SECRET": SECRET,
            "FUNCTION_APP_URL": f"http://127.0.0.1:{fport}",
            "FUNCTION_APP_KEY": FUNCTION_KEY,
            "AZURE_OPENAI_ENDPOINT": sim_url,
            "AZURE_OPENAI_API_KEY": API_KEY,
            "BRIDGE_DRAIN_SECONDS": "1",
            "BRIDGE_EVENT_FLUSH_SECONDS": "0.2",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bridge", cwd=REPO, env=env, stderr=subprocess.PIPE
        )
        try:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient() as http:
                for _ in range(200):
                    try:
                        if (await http.get(f"{base}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
            url = f"ws://127.0.0.1:{port}/acs/media/call-drain?token={issue_media_token('call-drain', SECRET)}"
            async with connect(url) as socket:
                await socket.send(metadata())
                acs = FakeAcs(socket)
                await acs.wait_for(lambda: len(acs.audio()) > 0)
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(acs.closed.wait(), 10)
                assert socket.close_code == CloseCode.GOING_AWAY
            with pytest.raises(OSError):  # no longer accepting
                await asyncio.open_connection("127.0.0.1", port)
            assert await asyncio.wait_for(process.wait(), 10) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert fapp.events("call-drain", "media_ended")[0]["reason"] == "drain"
        assert not sim.sockets
        logs = (await process.stderr.read()).decode()
        assert API_KEY not in logs and SECRET not in logs and "call-drain" in logs

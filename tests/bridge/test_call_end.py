"""A call that ends while a tool is running: the model session closes at once and nothing is sent late."""

from __future__ import annotations

import asyncio
import json
import time

from tests.bridge.harness import FakeFunctionApp, acs_call, running_stack, wait_until
from tests.bridge.test_relay import speak


async def test_caller_hanging_up_during_a_tool_call_closes_the_model_session_and_cancels_the_tool() -> None:
    tool_started = asyncio.Event()
    tool_finished = asyncio.Event()

    async def slow_lookup(body: dict) -> tuple[int, dict]:
        tool_started.set()
        try:
            await asyncio.sleep(5)
        finally:
            tool_finished.set()
        return 200, {"call_id": body["call_id"], "output": "{}"}

    scenario = {
        "turns": [
            {
                "caller": "look it up",
                "tool_calls": [{"name": "slow_lookup", "arguments": {}}],
                "after_tools": "Found it.",
            }
        ]
    }
    fapp = FakeFunctionApp(tools={"slow_lookup": slow_lookup})
    async with running_stack(scenario, fapp, tool_timeout_seconds=10) as stack:
        async with acs_call(stack, "call-hangup-tool") as acs:
            await wait_until(lambda: len(stack.simulator.conversations) == 1)
            await speak(acs)
            await asyncio.wait_for(tool_started.wait(), 10)
            hung_up = time.monotonic()
        conversation = stack.simulator.conversations[0]
        await wait_until(lambda: conversation.closed, seconds=1.0)  # billed sessions never outlive the call
        closed_after = time.monotonic() - hung_up
        await wait_until(lambda: bool(fapp.events("call-hangup-tool", "media_ended")), seconds=5)
        assert closed_after < 1.0
        assert [e["reason"] for e in fapp.events("call-hangup-tool", "media_ended")] == ["caller_hung_up"]
        assert not any(item.type == "function_call_output" for item in conversation.items.values())
        # The function app may still carry the tool out: the record keeps the attempt.
        (attempt,) = fapp.events("call-hangup-tool", "tool_call")
        assert attempt["name"] == "slow_lookup" and attempt["ok"] is False
        assert json.loads(attempt["output"])["error"]["code"] == "call_ended"

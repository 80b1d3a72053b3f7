"""The far end's script: `wait_for_agent` and how long the agent must be quiet to have finished."""

from __future__ import annotations

import asyncio

import pytest

from devstack.acs.phone import TICKS_PER_SECOND, Handset
from devstack.acs.script import HangUp, ScriptError, WaitForAgent, parse_script

RATE = 24000
SPEECH = b"\x00\x10" * (RATE // 10)  # 100 ms of non-silent agent audio


def test_wait_for_agent_takes_seconds_or_seconds_with_a_quiet_gap() -> None:
    assert parse_script([{"wait_for_agent": 10}]) == (WaitForAgent(10.0, 700),)
    assert parse_script([{"wait_for_agent": {"seconds": 20, "quiet_seconds": 2.5}}]) == (WaitForAgent(20.0, 2500),)
    assert parse_script([{"wait_for_agent": {"seconds": 20}}]) == (WaitForAgent(20.0, 700),)


@pytest.mark.parametrize(
    "value",
    [
        {"quiet_seconds": 2},
        {"seconds": 5, "quiet": 2},
        {"seconds": 5, "quiet_seconds": -1},
        {"seconds": 5, "quiet_seconds": 61},
    ],
)
def test_wait_for_agent_rejects_a_malformed_quiet_gap(value: object) -> None:
    with pytest.raises(ScriptError, match="script step 0"):
        parse_script([{"wait_for_agent": value}])


async def _hang_up_tick(quiet_ms: int, gap_ms: int) -> int:
    """The tick at which a caller hangs up after the agent said two things `gap_ms` apart."""
    hung_up_at: list[int] = []

    async def hang_up(reason: str) -> None:
        hung_up_at.append(handset.stats.ticks)
        handset.stop()

    handset = Handset(
        call_id="c1",
        script=(WaitForAgent(10, quiet_ms), HangUp()),
        voice=lambda text: b"",
        sample_rate=RATE,
        speedup=50,
        max_seconds=10,
        hang_up=hang_up,
        hang_up_after_script=False,
    )
    running = asyncio.create_task(handset.run())
    handset.play(SPEECH)  # "Let me check."
    second_at = 5 + gap_ms // 20  # the answer, once the tool call is done
    for _ in range(5000):  # bounded: the handset's clock runs 50x real time
        if handset.stats.ticks >= second_at or running.done():
            break
        await asyncio.sleep(0.001)
    handset.play(SPEECH)
    await asyncio.wait_for(running, 5)
    return hung_up_at[0]


async def test_a_caller_who_waits_through_a_pause_shorter_than_the_quiet_gap_hears_the_answer() -> None:
    impatient = await _hang_up_tick(quiet_ms=700, gap_ms=1500)
    patient = await _hang_up_tick(quiet_ms=3000, gap_ms=1500)
    assert impatient < 5 + 1500 // 20  # hung up in the pause, before the answer
    assert patient > 5 + 1500 // 20 + TICKS_PER_SECOND * 3  # heard the answer, then 3 s of quiet

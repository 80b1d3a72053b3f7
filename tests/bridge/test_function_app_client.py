"""Call events on their way to the function app: batches retried after a lost answer keep their numbers."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bridge.contract import EventType
from bridge.function_app_client import EventBatcher, FunctionAppClient
from tests.support.servers import serve_in_loop


def _function_app(stored: list[dict[str, Any]], answers: list[int]) -> Starlette:
    """Stores every batch it receives, then answers with the next status (the first may be 'lost')."""

    async def events(request: Request) -> JSONResponse:
        stored.extend((await request.json())["events"])
        status = answers.pop(0) if answers else 202
        return JSONResponse({"notices": []}, status_code=status)

    return Starlette(routes=[Route("/api/internal/calls/{call_id}/events", events, methods=["POST"])])


async def test_a_batch_stored_but_not_acknowledged_is_resent_with_the_same_sequence_numbers() -> None:
    stored: list[dict[str, Any]] = []
    async with serve_in_loop(_function_app(stored, answers=[503])) as port:
        client = FunctionAppClient(f"http://127.0.0.1:{port}", "key")
        batcher = EventBatcher(client, "call-1", flush_seconds=60)
        try:
            batcher.add(EventType.TRANSCRIPT, role="agent", text="Let me check.")
            batcher.add(EventType.TOOL_CALL, name="get_account_balance")
            await batcher.flush()  # stored, but the answer says 503: kept for the next flush
            assert batcher.pending == 2
            batcher.add(EventType.TRANSCRIPT, role="agent", text="Your balance is fifty five dollars.")
            await batcher.flush()
        finally:
            await client.aclose()
    assert batcher.pending == 0
    assert [e["seq"] for e in stored] == [1, 2, 1, 2, 3]
    assert {e["seq"]: e["ts"] for e in stored[:2]} == {e["seq"]: e["ts"] for e in stored[2:4]}


async def test_a_quiet_call_still_posts_after_two_flush_intervals_so_notices_arrive() -> None:
    stored: list[dict[str, Any]] = []
    posts: list[int] = []

    async def events(request: Request) -> JSONResponse:
        posts.append(len((await request.json())["events"]))
        return JSONResponse({"notices": [{"type": "coach", "message": "Offer the loyalty discount."}]}, 202)

    app = Starlette(routes=[Route("/api/internal/calls/{call_id}/events", events, methods=["POST"])])
    handed: list[dict[str, Any]] = []

    async def on_notices(notices: list[dict[str, Any]]) -> None:
        handed.extend(notices)

    async with serve_in_loop(app) as port:
        client = FunctionAppClient(f"http://127.0.0.1:{port}", "key")
        batcher = EventBatcher(client, "call-1", flush_seconds=0.05, on_notices=on_notices)
        try:
            await batcher.flush()  # nothing to send and not quiet for long yet: no request
            assert posts == []
            await asyncio.sleep(0.11)
            await batcher.flush()  # quiet for two flush intervals: an empty batch asks for notices
            await batcher.flush()  # just posted: quiet again
        finally:
            await client.aclose()
    assert posts == [0] and stored == []
    assert handed == [{"type": "coach", "message": "Offer the loyalty discount."}]

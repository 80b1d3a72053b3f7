"""Call events on their way to the function app: batches retried after a lost answer keep their numbers."""

from __future__ import annotations

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

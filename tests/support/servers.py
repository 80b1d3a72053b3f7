"""Run ASGI apps on loopback for tests: an ephemeral port, started and stopped inside the test.

`serve` runs an app in a thread (for synchronous tests); `serve_in_loop` runs it in the test's own
event loop (for async tests that drive the app's clock or inspect its state between requests).
Every test module that needs a server uses one of these two.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn

STARTUP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(app: Any, port: int | None = None, tls: tuple[str, str] | None = None) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a thread; yields its base URL and stops it afterwards.

    `tls` = (certificate, key) PEM paths serves https instead (devstack/tls.py makes them).
    """
    certificate, key = tls or (None, None)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port or free_port(),
        log_level="warning",
        lifespan="on",
        ssl_certfile=certificate,
        ssl_keyfile=key,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.asynccontextmanager
async def serve_in_loop(app: Any, *, lifespan: str = "off", port: int | None = None) -> AsyncIterator[int]:
    """Serve `app` on 127.0.0.1 in the running event loop; yields the port and stops the server after.

    Without `port` an ephemeral one is bound before the server starts, so no other process can
    take it; pass `port` when the app's settings must name its URL before it starts.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", port or 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio", lifespan=lifespan)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(STARTUP_SECONDS):
            while not server.started:
                if task.done():
                    task.result()  # raises why it stopped
                    raise RuntimeError("test server stopped before it started")
                await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()

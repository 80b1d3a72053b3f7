"""Run ASGI apps on loopback for tests: an ephemeral port, started and stopped inside the test."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
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

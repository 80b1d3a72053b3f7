"""Azurite's table service for a test session, on an ephemeral loopback port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator

from devstack import azurite
from tests.support.servers import free_port

STARTUP_SECONDS = 30.0


@contextlib.contextmanager
def run_azurite() -> Iterator[str]:
    """Start Azurite (tables, in memory); yields its connection string and stops it afterwards."""
    if not azurite.installed():
        raise RuntimeError("Azurite is not installed: run `make test` (it runs npm ci in devstack/azurite)")
    port = free_port()
    process = subprocess.Popen(azurite.command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Azurite did not start")
            time.sleep(0.1)
        yield azurite.connection_string(port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

"""Azurite, the Azure Storage emulator from npm, for the local stack and the tests (tables only).

It is always started with `--disableTelemetry` and bound to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
BINARY = FOLDER / "node_modules" / ".bin" / "azurite-table"
ACCOUNT = "devstoreaccount1"
# Azurite's well-known development account key, published in its documentation; not a secret.
DEV_ACCOUNT_SECRET = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="  # noqa: S105


def installed() -> bool:
    return BINARY.exists() and shutil.which("node") is not None


def command(port: int, data_dir: Path | None = None) -> list[str]:
    """The argv that starts the table service on 127.0.0.1:`port` (in memory when no data dir)."""
    argv = [
        str(BINARY),
        "--tableHost",
        "127.0.0.1",
        "--tablePort",
        str(port),
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--loose",
    ]
    if data_dir is None:
        return [*argv, "--inMemoryPersistence"]
    data_dir.mkdir(parents=True, exist_ok=True)
    return [*argv, "--location", str(data_dir)]


def connection_string(port: int) -> str:
    parts = {
        "DefaultEndpointsProtocol": "http",
        "AccountName": ACCOUNT,
        "Account" + "Key": DEV_ACCOUNT_SECRET,
        "TableEndpoint": f"http://127.0.0.1:{port}/{ACCOUNT}",
    }
    return ";".join(f"{k}={v}" for k, v in parts.items()) + ";"


def free_port() -> int:
    """An ephemeral loopback port, free at the time of asking."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running() -> Iterator[str]:
    """An in-memory table service on a free loopback port for the length of the block (benchmarks);
    yields its connection string."""
    port = free_port()
    process = subprocess.Popen(command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):  # up to 30 s for node to start listening
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.1)
        yield connection_string(port)
    finally:
        process.terminate()
        process.wait(timeout=10)

"""Azurite, the Azure Storage emulator from npm, for the local stack and the tests (tables only).

It is always started with `--disableTelemetry` and bound to 127.0.0.1.
"""

from __future__ import annotations

import shutil
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

"""Entry point: `python -m bridge`. Reads settings, serves until SIGTERM/SIGINT, then drains."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys

from bridge.server import BridgeServer
from bridge.settings import SettingsError, load_settings


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log collectors (Container Apps, App Insights) parse."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        call_id = getattr(record, "call_id", None)
        if call_id:
            entry["call_id"] = call_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


async def serve() -> None:
    settings = load_settings()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    logging.getLogger("websockets").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    server = BridgeServer(settings)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.drain()
    await server.aclose()
    logging.getLogger("bridge").info("bridge stopped")


def main() -> None:
    try:
        asyncio.run(serve())
    except SettingsError as exc:
        print(f"bridge: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

"""`python -m devstack.host --app-dir DIR --port PORT`: host a v2-model Python function app."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn

from devstack.host.app_settings import load_local_settings
from devstack.host.server import FunctionsHost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app-dir", type=Path, default=Path.cwd())
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--static-dir", type=Path, default=None, help="built front end served at /")
    parser.add_argument("--data-dir", type=Path, default=None, help="where the Durable engine keeps state")
    parser.add_argument("--settings", type=Path, default=None, help="local.settings.json (default: in --app-dir)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)  # the SDKs log every HTTP request at INFO
    settings = load_local_settings(args.app_dir, args.settings)
    os.environ.setdefault("WEBSITE_HOSTNAME", f"{args.host}:{args.port}")  # as Core Tools sets it
    host = FunctionsHost(args.app_dir, static_dir=args.static_dir, data_dir=args.data_dir, settings=settings)
    prefix = f"{host.config.route_prefix}/" if host.config.route_prefix else ""
    print(
        f"Functions host: http://{args.host}:{args.port}/{prefix}  ({len(host.index.http)} HTTP functions)",
        flush=True,
    )
    for name, reason in host.index.failed.items():
        print(f"  function {name} did not load: {reason}", flush=True)
    uvicorn.run(host.asgi(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

"""`python -m devstack.acs --port P --access-key-env ACS_ACCESS_KEY ...`: serve the ACS simulator."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

import uvicorn

from devstack.acs.app import create_app
from devstack.acs.simulator import SimulatorConfig


def _delays(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated seconds, e.g. 1,2,4,8") from None
    if len(values) > 30 or any(not 0 <= v <= 3600 for v in values):
        raise argparse.ArgumentTypeError("at most 30 delays, each between 0 and 3600 s")
    return values


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.acs", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7073)
    parser.add_argument(
        "--access-key-env",
        default="ACS_ACCESS_KEY",
        help="environment variable holding the resource's base64 access key",
    )
    parser.add_argument(
        "--resource-id",
        default="00000000-0000-0000-0000-00000000acs0",
        help="the ACS resource (immutable) id: the audience of callback tokens",
    )
    parser.add_argument("--issuer", default=None, help="callback token issuer (default: ACS's own)")
    parser.add_argument(
        "--event-grid-url",
        default=None,
        help="where IncomingCall events go, e.g. http://127.0.0.1:7071/runtime/webhooks/eventgrid"
        "?functionName=incoming_call&code=KEY",
    )
    parser.add_argument(
        "--event-grid-retry-seconds",
        type=_delays,
        default=(1.0, 2.0, 4.0, 8.0),
        help="delays between Event Grid delivery attempts (default 1,2,4,8)",
    )
    parser.add_argument(
        "--voice", choices=("espeak", "tone"), default="espeak", help="speech for caller scripts and played text"
    )
    parser.add_argument(
        "--recordings-dir",
        type=Path,
        default=Path(".data/acs"),
        help="where each call's heard/conversation WAVs are written",
    )
    parser.add_argument("--max-call-seconds", type=float, default=1800.0)
    parser.add_argument("--speedup", type=float, default=1.0, help="media clock speed vs real time (tests)")
    parser.add_argument(
        "--trusted-token-issuer",
        default=None,
        help="OpenID configuration URL of the token issuer whose bearer tokens are accepted (managed identity)",
    )
    parser.add_argument("--tls-port", type=int, default=None, help="also serve the REST API over https here")
    parser.add_argument("--tls-cert", type=Path, default=None, help="PEM certificate for --tls-port")
    parser.add_argument("--tls-key", type=Path, default=None, help="PEM private key for --tls-port")
    args = parser.parse_args(argv)
    key = os.environ.get(args.access_key_env, "")
    if not key:
        parser.error(f"set {args.access_key_env} to the resource's access key (base64)")
    config = SimulatorConfig(
        access_key=key,
        resource_id=args.resource_id,
        event_grid_url=args.event_grid_url,
        event_grid_retry_delays=args.event_grid_retry_seconds,
        voice=args.voice,
        speedup=args.speedup,
        recordings_dir=args.recordings_dir,
        max_call_seconds=args.max_call_seconds,
        trusted_token_issuer=args.trusted_token_issuer,
    )
    if args.tls_port is not None and (args.tls_cert is None or args.tls_key is None):
        parser.error("--tls-port needs --tls-cert and --tls-key")
    if args.issuer:
        config.issuer = args.issuer
    try:
        app = create_app(config)
    except ValueError as exc:
        print(f"devstack.acs: {exc}", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx logs each request's full URL at INFO: callback URLs carry per-call tokens and the Event
    # Grid URL the system key, as on Azure; neither may reach a log (tests/e2e/test_secret_scan.py).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    plain = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", ws="websockets")
    servers = [uvicorn.Server(plain)]
    if args.tls_port is not None:
        # The same app (and simulator) over https: SDKs send bearer tokens only over TLS.
        secure = uvicorn.Config(
            app,
            host=args.host,
            port=args.tls_port,
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(args.tls_cert),
            ssl_keyfile=str(args.tls_key),
        )
        servers.append(uvicorn.Server(secure))
    asyncio.run(_serve(servers))


async def _serve(servers: list[uvicorn.Server]) -> None:
    await asyncio.gather(*(server.serve() for server in servers))


if __name__ == "__main__":
    main()

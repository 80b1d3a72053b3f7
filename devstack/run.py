"""`make run`: start the whole local stack on loopback, print where to open it, stop it on Ctrl-C.

Each component is a child process configured only through its ordinary settings (endpoints, keys),
exactly as on Azure: Azurite (tables), the Realtime model simulator, the ACS simulator, the function
app in the local Functions host (with the Durable engine and the built front end), and the bridge.
Keys are generated once and kept in `.data/devstack.json`, so restarts keep working URLs and
in-flight durable state. Tests build the same stack on ephemeral ports with `build_stack`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx

from devstack import azurite

REPO = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60.0
ACS_RESOURCE_ID = "local-acs-resource"
ACS_NUMBER = "+18005550100"
HUMAN_AGENT_NUMBER = "+18005550199"


@dataclass
class Service:
    """One child process of the stack and how to tell it is ready."""

    name: str
    argv: list[str]
    ready_url: str
    env: dict[str, str] = field(default_factory=dict)
    show: str = ""
    process: subprocess.Popen[bytes] | None = None
    log: BinaryIO | None = None
    log_path: Path | None = None  # where the last launch logged (a restart appends there)
    # Azurite saves its data on SIGINT only; SIGTERM ends it without writing the last changes.
    stop_signal: signal.Signals = signal.SIGTERM

    def launch(self, log_path: Path) -> None:
        """Start the process, its output appended to `log_path`."""
        self.close_log()
        self.log_path = log_path
        self.log = log_path.open("ab")
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(self.argv, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def halt(self, sig: signal.Signals | None = None, timeout: float = 30.0) -> int | None:
        """Signal the process (default: its stop signal) and wait for it to exit; returns its exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig or self.stop_signal)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=5)

    def restart(self) -> None:
        """Launch again with the same command and log, and wait until it is ready."""
        assert self.log_path is not None, "restart needs an earlier launch"
        self.halt()
        self.launch(self.log_path)
        wait_ready(self, time.monotonic() + STARTUP_SECONDS)

    def close_log(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None


@dataclass(frozen=True)
class Ports:
    host: int = 7071
    realtime: int = 7072
    acs: int = 7073
    bridge: int = 8765
    azurite_table: int = 10002

    @classmethod
    def ephemeral(cls) -> Ports:
        """Free loopback ports (for tests running the stack beside anything else)."""
        found: list[int] = []
        sockets = []
        for _ in range(5):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
            found.append(sock.getsockname()[1])
        for sock in sockets:
            sock.close()
        return cls(*found)


@dataclass(frozen=True)
class Stack:
    """The services in start order, and what a client needs to reach them."""

    services: list[Service]
    ports: Ports
    keys: dict[str, str]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.host}"

    @property
    def acs_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.acs}"

    @property
    def realtime_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.realtime}"

    @property
    def bridge_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.bridge}"

    def service(self, name: str) -> Service:
        """The service whose name starts with `name` ("function app", "bridge", "azurite", ...)."""
        return next(s for s in self.services if s.name.startswith(name))


def _base64_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


KEY_MAKERS: dict[str, Callable[[], str]] = {
    "function_key": lambda: secrets.token_urlsafe(24),
    "master_key": lambda: secrets.token_urlsafe(24),
    "eventgrid_key": lambda: secrets.token_urlsafe(24),
    "openai_key": lambda: "local-" + secrets.token_urlsafe(24),
    "call_token_secret": lambda: secrets.token_urlsafe(48),
    # Kept for the life of .data/: a new key would hide every do-not-call row (docs/do-not-call.md).
    "dnc_hash_key": lambda: secrets.token_urlsafe(48),
    "acs_key_b64": _base64_key,  # ACS keys are base64: the SDK decodes them to sign requests
}


def stack_secrets(data_dir: Path) -> dict[str, str]:
    """The local stack's keys, generated on first use (missing ones added) and reused after."""
    path = data_dir / "devstack.json"
    values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if all(name in values for name in KEY_MAKERS):
        return values
    values = {name: values.get(name) or make() for name, make in KEY_MAKERS.items()}
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)
    return values


def app_settings(ports: Ports, keys: dict[str, str], tables: str | None) -> dict[str, str]:
    """The function app's settings pointing at the local simulators."""
    settings = {
        "AZURE_OPENAI_ENDPOINT": f"http://127.0.0.1:{ports.realtime}",
        "AZURE_OPENAI_API_KEY": keys["openai_key"],
        "AZURE_OPENAI_REALTIME_DEPLOYMENT": "gpt-realtime",
        "AZURE_OPENAI_SUMMARY_DEPLOYMENT": "gpt-4o-mini",
        "ACS_ENDPOINT": f"http://127.0.0.1:{ports.acs}",
        "ACS_ACCESS_KEY": keys["acs_key_b64"],
        "ACS_PHONE_NUMBER": ACS_NUMBER,
        "ACS_RESOURCE_ID": ACS_RESOURCE_ID,
        "ACS_OPENID_CONFIG_URL": f"http://127.0.0.1:{ports.acs}/calling/.well-known/acsopenidconfiguration",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports.host}",
        "BRIDGE_PUBLIC_URL": f"ws://127.0.0.1:{ports.bridge}",
        "CALL_TOKEN_SECRET": keys["call_token_secret"],
        "DNC_HASH_KEY": keys["dnc_hash_key"],
        "HUMAN_AGENT_TARGET": HUMAN_AGENT_NUMBER,
        "HUMAN_AGENT_HOURS": "Mon-Sun 00:00-23:59",
        "API_BASE_URL": "",
        "DURABLE_TASK_HUB": "callcenter",
        # Both speech backends run locally: the healthcare agent's phone calls go to Voice Live.
        "AGENT_BACKENDS": "healthcare=voice-live",
    }
    if tables:
        settings["CALLCENTER_TABLES_CONNECTION"] = tables
    return settings


def write_local_settings(folder: Path, values: dict[str, str], keys: dict[str, str]) -> Path:
    """A `local.settings.json` for the host (kept under .data/, never committed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "local.settings.json"
    document = {
        "IsEncrypted": False,
        "Values": values,
        "FunctionKeys": {"default": keys["function_key"]},
        "MasterKey": keys["master_key"],
        "SystemKeys": {"eventgrid_extension": keys["eventgrid_key"]},
    }
    path.write_text(json.dumps(document, indent=2))
    path.chmod(0o600)
    return path


def build_stack(
    ports: Ports,
    data_dir: Path,
    *,
    realtime_mode: list[str] | None = None,
    persist: bool = True,
    extra_settings: dict[str, str] | None = None,
    bridge_settings: dict[str, str] | None = None,
    acs_options: list[str] | None = None,
    managed_identity: bool = False,
) -> Stack:
    """Every service of the local stack, wired to each other by settings.

    Args:
        realtime_mode: the Realtime simulator's mode flags (default: the offline assistant).
        persist: keep Azurite's data in `data_dir` (tests use memory).
        extra_settings: function app settings to add or override (tests).
        bridge_settings: bridge environment to add or override (tests, e.g. BRIDGE_DRAIN_SECONDS).
        acs_options: extra ACS simulator flags (e.g. `--voice tone` for cheap caller speech under load).
        managed_identity: the function app reaches ACS with no key, through `DefaultAzureCredential` and a
            local managed-identity endpoint (devstack/identity.py); the ACS simulator then also serves https
            (SDKs send bearer tokens only over TLS) and trusts that issuer's tokens.
    """
    py = sys.executable
    keys = stack_secrets(data_dir)
    services: list[Service] = []
    tables = None
    if azurite.installed():
        argv = azurite.command(ports.azurite_table, data_dir / "azurite" if persist else None)
        ready = f"http://127.0.0.1:{ports.azurite_table}/"
        services.append(Service("azurite (tables)", argv, ready, stop_signal=signal.SIGINT))
        tables = azurite.connection_string(ports.azurite_table)
    settings = {**app_settings(ports, keys, tables), **(extra_settings or {})}
    app_env: dict[str, str] = {}
    if managed_identity:
        identity, extra_acs = _managed_identity(data_dir, settings, app_env)
        services.append(identity)
        acs_options = [*(acs_options or []), *extra_acs]
    services.append(
        Service(
            "realtime simulator",
            [py, "-m", "devstack.realtime", "--port", str(ports.realtime), *(realtime_mode or ["--assistant"])],
            f"http://127.0.0.1:{ports.realtime}/healthz",
            env={"AZURE_OPENAI_API_KEY": keys["openai_key"]},
        )
    )
    event_grid = f"http://127.0.0.1:{ports.host}/runtime/webhooks/eventgrid?functionName=incoming_call&code={keys['eventgrid_key']}"
    services.append(
        Service(
            "acs simulator",
            [
                py,
                "-m",
                "devstack.acs",
                "--port",
                str(ports.acs),
                "--access-key-env",
                "ACS_ACCESS_KEY",
                "--resource-id",
                ACS_RESOURCE_ID,
                "--event-grid-url",
                event_grid,
                "--recordings-dir",
                str(data_dir / "acs"),
                *(acs_options or []),
            ],
            f"http://127.0.0.1:{ports.acs}/simulator/health",
            env={"ACS_ACCESS_KEY": keys["acs_key_b64"]},
        )
    )
    settings_file = write_local_settings(data_dir / "host", settings, keys)
    services.append(
        Service(
            "function app",
            [
                py,
                "-m",
                "devstack.host",
                "--app-dir",
                str(REPO),
                "--port",
                str(ports.host),
                "--static-dir",
                str(REPO / "frontend" / "dist"),
                "--data-dir",
                str(data_dir / "durable"),
                "--settings",
                str(settings_file),
            ],
            f"http://127.0.0.1:{ports.host}/api/healthz",
            env=app_env,
            show=f"http://127.0.0.1:{ports.host}/",
        )
    )
    services.append(
        Service(
            "bridge",
            [py, "-m", "bridge"],
            f"http://127.0.0.1:{ports.bridge}/healthz",
            env={
                "BRIDGE_HOST": "127.0.0.1",
                "BRIDGE_PORT": str(ports.bridge),
                "CALL_TOKEN_SECRET": keys["call_token_secret"],
                "FUNCTION_APP_URL": f"http://127.0.0.1:{ports.host}",
                "FUNCTION_APP_KEY": keys["function_key"],
                "AZURE_OPENAI_ENDPOINT": settings["AZURE_OPENAI_ENDPOINT"],
                "AZURE_OPENAI_API_KEY": keys["openai_key"],
                "AZURE_OPENAI_REALTIME_DEPLOYMENT": settings["AZURE_OPENAI_REALTIME_DEPLOYMENT"],
                # The same simulator serves Voice Live on /voice-live/realtime (devstack/realtime/voicelive.py).
                "VOICE_LIVE_ENDPOINT": settings["AZURE_OPENAI_ENDPOINT"],
                "VOICE_LIVE_API_KEY": keys["openai_key"],
                "ACS_RESOURCE_ID": ACS_RESOURCE_ID,
                "ACS_OPENID_CONFIG_URL": settings["ACS_OPENID_CONFIG_URL"],
                # Voice Live agents' web sessions come through the bridge from the app's own pages
                # (served by the host) or the Vite dev server.
                "BRIDGE_WEB_ALLOWED_ORIGINS": ",".join(
                    f"http://{host}:{port}" for host in ("127.0.0.1", "localhost") for port in (ports.host, 5173)
                ),
                **(bridge_settings or {}),
            },
        )
    )
    return Stack(services, ports, keys)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _managed_identity(data_dir: Path, settings: dict[str, str], app_env: dict[str, str]) -> tuple[Service, list[str]]:
    """The token issuer service, the ACS simulator's extra flags; rewires the app's ACS settings."""
    from devstack.tls import write_tls_files

    tls = write_tls_files(data_dir / "tls")
    identity_port, tls_port = _free_port(), _free_port()
    header = secrets.token_urlsafe(24)
    issuer = f"http://127.0.0.1:{identity_port}"
    settings.update({"ACS_ENDPOINT": f"https://127.0.0.1:{tls_port}", "ACS_ACCESS_KEY": ""})
    # What App Service sets for a managed identity; SSL_CERT_FILE makes the local CA trusted.
    app_env.update(
        {"IDENTITY_ENDPOINT": f"{issuer}/msi/token", "IDENTITY_HEADER": header, "SSL_CERT_FILE": str(tls.bundle)}
    )
    service = Service(
        "token issuer",
        [sys.executable, "-m", "devstack.identity", "--port", str(identity_port)],
        f"{issuer}/.well-known/openid-configuration",
        env={"IDENTITY_HEADER": header},
    )
    flags = [
        "--trusted-token-issuer",
        f"{issuer}/.well-known/openid-configuration",
        "--tls-port",
        str(tls_port),
        "--tls-cert",
        str(tls.cert),
        "--tls-key",
        str(tls.key),
    ]
    return service, flags


def wait_ready(service: Service, deadline: float) -> None:
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with code {service.process.returncode}")
        try:
            if httpx.get(service.ready_url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{service.name} did not become ready at {service.ready_url}")


def start(stack: Stack, log_dir: Path, announce: bool = True) -> None:
    """Start the services in order, each ready before the next; logs go to `log_dir`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    for service in stack.services:
        service.launch(log_dir / f"{service.name.split(' ')[0]}.log")
        wait_ready(service, time.monotonic() + STARTUP_SECONDS)
        if announce:
            print(f"  ready: {service.name:<20} {service.show or service.ready_url}", flush=True)


def stop(stack: Stack) -> None:
    for service in reversed(stack.services):
        if service.process is not None and service.process.poll() is None:
            service.process.send_signal(service.stop_signal)
    for service in reversed(stack.services):
        if service.process is not None:
            try:
                service.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait(timeout=5)
        service.close_log()


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local, offline call center stack.")
    parser.add_argument("--data-dir", type=Path, default=REPO / ".data")
    parser.add_argument("--scenario", type=Path, help="scripted Realtime simulator instead of the offline assistant")
    args = parser.parse_args(argv)
    mode = ["--scenario", str(args.scenario)] if args.scenario else ["--assistant"]
    stack = build_stack(Ports(), args.data_dir, realtime_mode=mode)
    print("Starting the local stack (logs in .data/logs/) ...", flush=True)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        start(stack, args.data_dir / "logs")
        print(f"\nOpen {stack.api_url}/  (API: {stack.api_url}/api/healthz)")
        print(f"Function key for protected endpoints: {stack.keys['function_key']}  (x-functions-key header)")
        print("Place a simulated phone call: make call   |   Press Ctrl-C to stop.", flush=True)
        while True:
            for service in stack.services:
                if service.process is not None and service.process.poll() is not None:
                    print(f"{service.name} stopped (exit {service.process.returncode}); see .data/logs/", flush=True)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stop(stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())

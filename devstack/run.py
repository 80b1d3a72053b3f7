"""`make run`: start the whole local stack on loopback, print where to open it, stop it on Ctrl-C.

Each component is a child process configured only through its ordinary settings (endpoints, keys),
exactly as on Azure. Keys and secrets for the local stack are generated once and kept in
`.data/devstack.json`, so restarts keep working URLs and in-flight durable state.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack import azurite

REPO = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60.0


@dataclass
class Service:
    """One child process of the stack and how to tell it is ready."""

    name: str
    argv: list[str]
    ready_url: str
    env: dict[str, str] = field(default_factory=dict)
    show: str = ""
    process: subprocess.Popen[bytes] | None = None


@dataclass(frozen=True)
class Ports:
    host: int = 7071
    realtime: int = 7072
    bridge: int = 8765
    acs: int = 7073
    azurite_table: int = 10002


def stack_secrets(data_dir: Path) -> dict[str, str]:
    """The local stack's keys, generated on first run and reused after."""
    path = data_dir / "devstack.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    values = {
        "function_key": secrets.token_urlsafe(24),
        "master_key": secrets.token_urlsafe(24),
        "openai_key": "local-" + secrets.token_urlsafe(24),
        "call_token_secret": secrets.token_urlsafe(32),
        "acs_key": secrets.token_urlsafe(32),
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)
    return values


def app_settings(ports: Ports, keys: dict[str, str]) -> dict[str, str]:
    """The function app's settings pointing at the local simulators."""
    return {
        "AZURE_OPENAI_ENDPOINT": f"http://127.0.0.1:{ports.realtime}",
        "AZURE_OPENAI_API_KEY": keys["openai_key"],
        "AZURE_OPENAI_REALTIME_DEPLOYMENT": "gpt-realtime",
        "AZURE_OPENAI_SUMMARY_DEPLOYMENT": "gpt-4o-mini",
        "CALL_TOKEN_SECRET": keys["call_token_secret"],
        "API_BASE_URL": "",
        "DURABLE_TASK_HUB": "callcenter",
    }


def write_local_settings(data_dir: Path, values: dict[str, str], keys: dict[str, str]) -> Path:
    """A `local.settings.json` for the host (kept under .data/, never committed)."""
    folder = data_dir / "host"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "local.settings.json"
    document = {
        "IsEncrypted": False,
        "Values": values,
        "FunctionKeys": {"default": keys["function_key"]},
        "MasterKey": keys["master_key"],
    }
    path.write_text(json.dumps(document, indent=2))
    path.chmod(0o600)
    return path


def services(ports: Ports, data_dir: Path, keys: dict[str, str]) -> list[Service]:
    py = sys.executable
    settings = app_settings(ports, keys)
    static = REPO / "frontend" / "dist"
    found: list[Service] = []
    if azurite.installed():
        found.append(
            Service(
                "azurite (tables)",
                azurite.command(ports.azurite_table, data_dir / "azurite"),
                f"http://127.0.0.1:{ports.azurite_table}/",
            )
        )
        settings["CALLCENTER_TABLES_CONNECTION"] = azurite.connection_string(ports.azurite_table)
    if (REPO / "devstack" / "realtime" / "__main__.py").exists():
        found.append(
            Service(
                "realtime simulator",
                [py, "-m", "devstack.realtime", "--port", str(ports.realtime), "--assistant"],
                f"http://127.0.0.1:{ports.realtime}/healthz",
                env={"AZURE_OPENAI_API_KEY": keys["openai_key"]},
            )
        )
    write_local_settings(data_dir, settings, keys)
    found.append(
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
                str(static),
                "--data-dir",
                str(data_dir / "durable"),
                "--settings",
                str(data_dir / "host" / "local.settings.json"),
            ],
            f"http://127.0.0.1:{ports.host}/api/healthz",
            show=f"http://127.0.0.1:{ports.host}/",
        )
    )
    return found


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


def start(stack: list[Service], log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    for service in stack:
        log = (log_dir / f"{service.name.replace(' ', '-')}.log").open("ab")
        env = {**os.environ, **service.env, "PYTHONUNBUFFERED": "1"}
        service.process = subprocess.Popen(service.argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(service, time.monotonic() + STARTUP_SECONDS)
        print(f"  ready: {service.name:<20} {service.show or service.ready_url}", flush=True)


def stop(stack: list[Service]) -> None:
    for service in reversed(stack):
        if service.process is not None and service.process.poll() is None:
            service.process.terminate()
    for service in reversed(stack):
        if service.process is not None:
            try:
                service.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                service.process.kill()


def main(argv: list[str] | None = None, until: Callable[[], bool] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local, offline call center stack.")
    parser.add_argument("--data-dir", type=Path, default=REPO / ".data")
    args = parser.parse_args(argv)
    ports = Ports()
    keys = stack_secrets(args.data_dir)
    stack = services(ports, args.data_dir, keys)
    print("Starting the local stack (logs in .data/logs/) ...", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        start(stack, args.data_dir / "logs")
        print(f"\nOpen http://127.0.0.1:{ports.host}/  (API: http://127.0.0.1:{ports.host}/api/healthz)")
        print(f"Function key for protected endpoints: {keys['function_key']}  (x-functions-key header)")
        print("Press Ctrl-C to stop.", flush=True)
        while until is None or not until():
            for service in stack:
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

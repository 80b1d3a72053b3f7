"""Kill the host with SIGKILL mid-orchestration, start it again: the orchestration completes.

Activities whose completion was recorded before the kill must not run again; the one in flight runs
again (at-least-once, as on Azure).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.devstack.durable.conftest import APP
from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[3]


@contextmanager
def host_process(data_dir: Path, log_file: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = dict(os.environ, ACTIVITY_LOG=str(log_file), PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "devstack.host", "--app-dir", str(APP), "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/runtime/webhooks/durabletask/instances", timeout=1)
                break
            except httpx.TransportError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    detail = process.stderr.read() if process.stderr else ""
                    raise RuntimeError(f"host did not start: {detail!r}") from exc
                time.sleep(0.05)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def poll_status(base: str, instance_id: str, until: callable, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = httpx.get(
            f"{base}/runtime/webhooks/durabletask/instances/{instance_id}", params={"showHistory": "true"}
        ).json()
        if until(status):
            return status
        time.sleep(0.02)
    raise AssertionError(f"instance {instance_id} never reached the expected state")


def completed_steps(status: dict) -> int:
    return sum(1 for event in status.get("historyEvents", []) if event["EventType"] == "TaskCompleted")


def test_sigkill_mid_orchestration_then_restart_completes_without_rerunning_done_work(tmp_path: Path) -> None:
    log_file = tmp_path / "activities.log"
    with host_process(tmp_path / "data", log_file) as (process, base):
        started = httpx.post(f"{base}/api/start/slow_chain", json={"steps": 5}, params={"id": "crashy"})
        assert started.status_code == 202
        before = poll_status(base, "crashy", lambda s: completed_steps(s) >= 2)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    recorded = completed_steps(before)
    with host_process(tmp_path / "data", log_file) as (_, base):
        final = poll_status(base, "crashy", lambda s: s["runtimeStatus"] in ("Completed", "Failed"))
    assert final["runtimeStatus"] == "Completed" and final["output"] == [0, 10, 20, 30, 40]
    starts = Counter(line.split()[1] for line in log_file.read_text().splitlines() if line.startswith("start"))
    for step in range(recorded):
        assert starts[str(step)] == 1, f"step {step} completed before the kill but ran again"
    assert set(starts) == {"0", "1", "2", "3", "4"}

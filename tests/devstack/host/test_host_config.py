"""host.json and the settings file as the host reads them; timer triggers; a function that cannot load."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from devstack.durable import VirtualClock
from devstack.host.app_settings import HostKeys, LocalSettings
from devstack.host.host_config import HostConfigError, load_host_config
from devstack.host.server import FunctionsHost
from tests.support.servers import free_port

APP = Path(__file__).with_name("configured_app")
API = "/runtime/webhooks/durabletask"


@pytest.fixture(scope="module")
def app_module() -> object:
    from devstack.host.function_index import load_functions

    load_functions(APP)
    path = str(APP / "function_app.py")
    return next(m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == path)


@pytest.fixture
async def host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FunctionsHost, httpx.AsyncClient]]:
    monkeypatch.setenv("CONFIGURED_HUB", "ConfiguredHub")
    clock = VirtualClock(datetime(2025, 3, 3, 8, 1, 30, tzinfo=UTC))
    hosted = FunctionsHost(
        APP, data_dir=tmp_path, durable_clock=clock, settings=LocalSettings({}, HostKeys({}, "m", {}))
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(hosted.asgi(), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
                await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield hosted, http
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


async def test_http_functions_are_served_under_the_route_prefix(host: tuple[FunctionsHost, httpx.AsyncClient]) -> None:
    _, http = host
    assert (await http.get("/v1/ping")).text == "pong"
    assert (await http.get("/api/ping")).status_code == 404


async def test_function_timeout_ends_an_http_invocation_with_the_hosts_message(
    host: tuple[FunctionsHost, httpx.AsyncClient],
) -> None:
    _, http = host
    response = await http.get("/v1/slow")
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "Timeout value of 00:00:01 was exceeded by function: Functions.slow"


async def test_task_hub_comes_from_the_setting_host_json_names(host: tuple[FunctionsHost, httpx.AsyncClient]) -> None:
    hosted, _ = host
    assert hosted.durable.task_hub == "ConfiguredHub"
    assert (hosted.data_dir / "ConfiguredHub.sqlite3").exists()


async def test_max_concurrent_activity_functions_bounds_the_fan_out(
    host: tuple[FunctionsHost, httpx.AsyncClient], app_module: object
) -> None:
    hosted, _ = host
    instance = await hosted.durable.client.start_new("fan", None, None)
    status = await hosted.durable.wait_for(instance)
    assert status["output"] == [0, 1, 2]
    assert app_module.overlap["peak"] == 1  # type: ignore[attr-defined]


async def test_max_concurrent_orchestrator_functions_runs_episodes_side_by_side(
    host: tuple[FunctionsHost, httpx.AsyncClient], app_module: object
) -> None:
    hosted, _ = host
    first = await hosted.durable.client.start_new("slow_replay", None, None)
    second = await hosted.durable.client.start_new("slow_replay", None, None)
    for instance in (first, second):
        assert (await hosted.durable.wait_for(instance))["runtimeStatus"] == "Completed"
    assert app_module.replays["peak"] == 2  # type: ignore[attr-defined]


async def test_an_activity_outliving_function_timeout_fails_its_task(
    host: tuple[FunctionsHost, httpx.AsyncClient],
) -> None:
    hosted, _ = host
    instance = await hosted.durable.client.start_new("stuck", None, None)
    status = await hosted.durable.wait_for(instance)
    assert status["runtimeStatus"] == "Failed"
    assert (
        "Activity function 'hang' failed: Timeout value of 00:00:01 was exceeded by function: Functions.hang"
        in (status["output"])
    )


async def test_timer_trigger_runs_on_its_ncrontab_schedule_under_a_virtual_clock(
    host: tuple[FunctionsHost, httpx.AsyncClient], app_module: object
) -> None:
    hosted, _ = host
    ticks = app_module.ticks  # type: ignore[attr-defined]
    ticks.clear()
    clock = hosted.clock
    assert isinstance(clock, VirtualClock)
    await clock.advance(timedelta(minutes=3))  # 08:01:30 -> 08:04:30: nothing due
    assert ticks == []
    await clock.advance(timedelta(minutes=10))  # to 08:14:30: 08:05 and 08:10 fire, 08:15 not yet
    assert [t["status"]["Last"][11:19] for t in ticks] == ["08:05:00", "08:05:00"]
    assert [t["status"]["Next"][11:19] for t in ticks] == ["08:10:00", "08:15:00"]
    assert not any(t["past_due"] for t in ticks)


def test_a_function_with_an_unsupported_binding_fails_alone_naming_the_binding(
    host: tuple[FunctionsHost, httpx.AsyncClient],
) -> None:
    hosted, _ = host
    assert "on_upload" in hosted.index.failed
    assert "'blobTrigger'" in hosted.index.failed["on_upload"]
    assert {fn.name for fn in hosted.index.http} == {"ping", "slow"}


def test_host_json_values_of_the_wrong_shape_are_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(json.dumps({"functionTimeout": "ten minutes"}))
    with pytest.raises(HostConfigError, match="functionTimeout"):
        load_host_config(tmp_path)
    (tmp_path / "host.json").write_text(
        json.dumps({"extensions": {"durableTask": {"maxConcurrentActivityFunctions": 0}}})
    )
    with pytest.raises(HostConfigError, match="maxConcurrentActivityFunctions"):
        load_host_config(tmp_path)


def test_settings_flag_reads_the_named_file(tmp_path: Path) -> None:
    settings = tmp_path / "elsewhere.json"
    settings.write_text(
        json.dumps({"Values": {"CONFIGURED_HUB": "FromFile"}, "MasterKey": "mk", "FunctionKeys": {"default": "fk"}})
    )
    port = free_port()
    log = tmp_path / "host.log"
    command = [sys.executable, "-m", "devstack.host", "--app-dir", str(APP), "--port", str(port)]
    command += ["--data-dir", str(tmp_path / "data"), "--settings", str(settings)]
    with log.open("w") as output, subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT) as process:
        try:
            for _ in range(300):  # up to ~60 s for the app to import
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/v1/ping", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    assert process.poll() is None, log.read_text()
                    time.sleep(0.2)
            # The hub comes from the named file, not from a local.settings.json beside the app.
            assert httpx.get(f"http://127.0.0.1:{port}{API}/instances", timeout=5).status_code == 200
            assert (tmp_path / "data" / "FromFile.sqlite3").exists()
        finally:
            process.terminate()
            process.wait(timeout=20)

"""The dev supervisor recovers (issue 20): `make run` after an unclean stop (the supervisor
SIGKILLed and started again at once, on the same state directory and ports) comes up, and a
crashed child (NATS, PostgreSQL, a service) is restarted until `/health` is 200 again. The
stack runs embedded servers on ports and a state directory of this test's own."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from devstack.backends import BACKENDS
from devstack.embedded import free_port

pytestmark = [pytest.mark.stack, pytest.mark.timeout(900)]

READY_TIMEOUT = 300.0


@dataclass
class Run:
    proc: subprocess.Popen[str]
    home: Path
    log: Path

    def info(self) -> dict[str, Any]:
        try:
            data = json.loads((self.home / "stack.json").read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Outside pytest's basetemp (mode 0700 under root locks out the PostgreSQL user).
    root = Path(tempfile.mkdtemp(prefix="dc-test-unclean-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def stack_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATACOMPASS_")}
    env.update(
        {
            "DATACOMPASS_HOME": str(workdir / "home"),
            "DATACOMPASS_DEV_PG_PORT": str(free_port()),
            "DATACOMPASS_DEV_NATS_PORT": str(free_port()),
            "DATACOMPASS_GATEWAY_PORT": str(free_port()),
            "DATACOMPASS_DEV_READY_TIMEOUT": "240",
        }
    )
    for backend in BACKENDS:
        env[backend.grpc_port_env] = str(free_port())
        env[backend.metrics_port_env] = str(free_port())
    return env


def start(workdir: Path, env: dict[str, str], n: int) -> Run:
    log = workdir / f"supervisor-{n}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "devstack", "run", "--no-demo"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return Run(proc, Path(env["DATACOMPASS_HOME"]), log)


def wait_ready(run: Run) -> dict[str, Any]:
    deadline = time.monotonic() + READY_TIMEOUT
    while (info := run.info()).get("phase") != "ready" or info.get(
        "supervisor_pid"
    ) != run.proc.pid:
        if run.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(
                f"stack did not become ready (exit {run.proc.poll()}):\n{run.log.read_text()}"
            )
        time.sleep(0.2)
    return info


def stop(run: Run) -> None:
    if run.proc.poll() is None:
        run.proc.send_signal(signal.SIGINT)
        try:
            run.proc.wait(60)
        except subprocess.TimeoutExpired:
            run.proc.kill()
            run.proc.wait()


def health(env: dict[str, str]) -> int:
    url = f"http://127.0.0.1:{env['DATACOMPASS_GATEWAY_PORT']}/health"
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def test_run_comes_up_after_the_supervisor_was_killed(
    workdir: Path, stack_env: dict[str, str]
) -> None:
    first = start(workdir, stack_env, 1)
    try:
        info = wait_ready(first)
        children = [pid for name, pid in info["pids"].items() if name != "supervisor" and pid]
        first.proc.kill()  # SIGKILL: no clean-up at all
        first.proc.wait()
        # Half-written secrets from an earlier crash beside the real file.
        secrets = first.home / "secrets.json"
        (first.home / ".secrets.json.tmp-left").write_text(secrets.read_text()[:20])

        second = start(workdir, stack_env, 2)  # at once: the old children may still be stopping
        try:
            wait_ready(second)
            assert health(stack_env) == 200
            assert not any(
                psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                for pid in children
            )
            assert not (first.home / ".secrets.json.tmp-left").exists()
            assert json.loads(secrets.read_text())["admin_key"]
        finally:
            stop(second)
    finally:
        stop(first)


def wait_health(env: dict[str, str], run: Run, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while health(env) != 200:
        if run.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"/health did not recover (exit {run.proc.poll()}):\n{run.log.read_text()}")
        time.sleep(0.5)


def test_crashed_children_are_restarted(workdir: Path, stack_env: dict[str, str]) -> None:
    run = start(workdir, stack_env, 1)
    try:
        info = wait_ready(run)
        for child in ("nats", "catalog", "postgres"):
            pid = info["pids"][child]
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while (info := run.info())["pids"].get(child) in (pid, None):
                if run.proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{child} was not restarted:\n{run.log.read_text()}")
                time.sleep(0.2)
            wait_health(stack_env, run)
            assert f"{child} exited" in run.log.read_text()
        assert run.proc.poll() is None
    finally:
        stop(run)

"""Start the real `make run` stack (`python -m devstack run`) for an e2e test: every process on
ports of its own, beside any running stack, in a state directory of its own, on a database,
JetStream stream and subject prefix of its own on the test session's servers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest

from devstack.backends import BACKENDS
from devstack.embedded import free_port
from devstack.testing import execute, run_sync
from devstack.urls import with_database

READY_TIMEOUT = 180.0


@dataclass
class Stack:
    proc: subprocess.Popen[str]
    home: Path
    base_url: str
    admin_key: str
    log: Path

    def info(self) -> dict[str, Any]:
        path = self.home / "stack.json"
        return json.loads(path.read_text()) if path.exists() else {}


@contextlib.contextmanager
def own_database_and_stream(database_server_url: str, nats_url: str) -> Iterator[dict[str, str]]:
    """DATACOMPASS_* settings for a database, stream and subject prefix of the caller's own on
    the session's servers (for a stack that outlives one test); both removed afterwards."""
    name = f"dc_stack_{uuid.uuid4().hex[:12]}"
    prefix = f"dcstack{uuid.uuid4().hex[:10]}"
    run_sync(lambda: execute(database_server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield {
            "DATACOMPASS_DATABASE_URL": with_database(database_server_url, name),
            "DATACOMPASS_NATS_URL": nats_url,
            "DATACOMPASS_NATS_STREAM": prefix.upper(),
            "DATACOMPASS_EVENT_SUBJECT_PREFIX": prefix,
        }
    finally:

        async def delete_stream() -> None:
            nc = await nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0)
            try:
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await nc.jetstream().delete_stream(prefix.upper())
            finally:
                await nc.close()

        run_sync(delete_stream)
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        run_sync(lambda: execute(database_server_url, drop))


@contextlib.contextmanager
def running_stack(
    workdir: Path, env: Mapping[str, str], admin_key: str | None = None
) -> Iterator[Stack]:
    """`python -m devstack run` with `env` over this process's environment, until it says it is
    ready; stopped with Ctrl-C (SIGINT) as a person would. `admin_key` is given to the stack in
    DATACOMPASS_BOOTSTRAP_ADMIN_KEY (else it generates one, read back from secrets.json)."""
    home = workdir / "home"
    gateway_port = free_port()
    full_env = {
        **os.environ,
        **env,
        "DATACOMPASS_HOME": str(home),
        "DATACOMPASS_GATEWAY_PORT": str(gateway_port),
    }
    if admin_key:
        full_env["DATACOMPASS_BOOTSTRAP_ADMIN_KEY"] = admin_key
    else:
        full_env.pop("DATACOMPASS_BOOTSTRAP_ADMIN_KEY", None)
    for backend in BACKENDS:  # every service on ports of its own, beside any running stack
        full_env[backend.grpc_port_env] = str(free_port())
        full_env[backend.metrics_port_env] = str(free_port())
    log_path = workdir / "supervisor.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "devstack", "run"],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        stack = Stack(proc, home, f"http://127.0.0.1:{gateway_port}", "", log_path)
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while stack.info().get("phase") != "ready":
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = log_path.read_text()
                    pytest.fail(f"stack did not become ready (exit {proc.poll()}):\n{output}")
                time.sleep(0.2)
            stack.admin_key = (
                admin_key or json.loads((home / "secrets.json").read_text())["admin_key"]
            )
            yield stack
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()

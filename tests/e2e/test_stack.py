"""End to end: the real processes `make run` starts (supervisor, catalog, gateway), the demo
database scanned, `orders` found through REST and through the CLI, then a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from otlp_sink import OtlpSink, Span

from devstack.backends import BACKENDS
from devstack.embedded import free_port

READY_TIMEOUT = 180.0


@dataclass
class Stack:
    proc: subprocess.Popen[str]
    home: Path
    base_url: str
    admin_key: str
    traces: OtlpSink

    def info(self) -> dict[str, Any]:
        path = self.home / "stack.json"
        return json.loads(path.read_text()) if path.exists() else {}


@pytest.fixture
def stack(tmp_path: Path, service_env: dict[str, str]) -> Iterator[Stack]:
    home = tmp_path / "home"
    gateway_port = free_port()
    traces = OtlpSink()
    traces.start()
    env = {
        **os.environ,
        **service_env,
        "DATACOMPASS_HOME": str(home),
        "DATACOMPASS_GATEWAY_PORT": str(gateway_port),
        "DATACOMPASS_OTLP_ENDPOINT": traces.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # export spans every 0.2 s instead of 5 s
    }
    for backend in BACKENDS:  # every service on ports of its own, beside any running stack
        env[backend.grpc_port_env] = str(free_port())
        env[backend.metrics_port_env] = str(free_port())
    log = (tmp_path / "supervisor.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = Stack(proc, home, f"http://127.0.0.1:{gateway_port}", "", traces)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while stack.info().get("phase") != "ready":
            if proc.poll() is not None or time.monotonic() > deadline:
                output = (tmp_path / "supervisor.log").read_text()
                pytest.fail(f"stack did not become ready (exit {proc.poll()}):\n{output}")
            time.sleep(0.2)
        secrets = json.loads((home / "secrets.json").read_text())
        stack.admin_key = secrets["admin_key"]
        yield stack
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
        traces.stop()


def test_demo_orders_found_through_rest_and_cli(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base_url, timeout=30) as anon:
        # Every API route needs a token; only health (and metrics, login) are anonymous.
        assert anon.get("/api/v1/objects", params={"q": "orders"}).status_code == 401
        assert anon.post("/api/v1/sources/demo/scans").status_code == 401
    auth = {"Authorization": f"Bearer {stack.admin_key}"}
    with httpx.Client(base_url=stack.base_url, timeout=30, headers=auth) as http:
        health = http.get("/health")
        assert health.status_code == 200, health.text
        assert {"catalog", "database", "nats"} <= set(health.json()["checks"])

        found = http.get("/api/v1/objects", params={"q": "orders"}).json()["items"]
        refs = {item["ref"] for item in found}
        assert "demo.public.orders" in refs

        orders = http.get("/api/v1/objects/demo.public.orders")
        assert orders.status_code == 200
        body = orders.json()
        assert body["object_type"] == "table"
        columns = {c["name"]: c for c in body["columns"]}
        assert {"order_date", "status", "order_total", "customer_id"} <= set(columns)
        assert columns["order_date"]["data_type"].startswith("timestamp")

        by_urn = http.get(f"/api/v1/objects/{body['urn']}")
        assert by_urn.json()["id"] == body["id"]

        scans = http.get("/api/v1/sources/demo/scans").json()["items"]
        assert scans and scans[0]["status"] == "succeeded"
        assert scans[0]["objects_found"] >= 5

    cli = [sys.executable, "-m", "datacompass_cli.main", "--url", stack.base_url]
    cli_env = {**os.environ, "DATACOMPASS_TOKEN": stack.admin_key}
    search = subprocess.run(
        [*cli, "--format", "json", "catalog", "search", "orders"],
        capture_output=True, text=True, env=cli_env, timeout=60, check=False,
    )  # fmt: skip
    assert search.returncode == 0, search.stderr
    assert "demo.public.orders" in {o["ref"] for o in json.loads(search.stdout)}

    show = subprocess.run(
        [*cli, "--format", "table", "catalog", "show", "demo.public.orders"],
        capture_output=True, text=True, env=cli_env, timeout=60, check=False,
    )  # fmt: skip
    assert show.returncode == 0, show.stderr
    assert "order_total" in show.stdout

    metrics = subprocess.run(
        [*cli, "--format", "json", "metrics", "requests"],
        capture_output=True, text=True, env=cli_env, timeout=60, check=False,
    )  # fmt: skip
    assert metrics.returncode == 0, metrics.stderr
    routes = {s["labels"].get("route") for s in json.loads(metrics.stdout)}
    assert "/api/v1/objects" in routes

    missing = subprocess.run(
        [*cli, "catalog", "show", "demo.public.nope"],
        capture_output=True, text=True, env=cli_env, timeout=60, check=False,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "not found" in missing.stderr.lower()


def test_one_trace_spans_gateway_catalog_and_sql(stack: Stack) -> None:
    """A REST call is one trace: gateway HTTP span → gRPC client → catalog server → SQL."""
    auth = {"Authorization": f"Bearer {stack.admin_key}"}
    with httpx.Client(base_url=stack.base_url, timeout=30, headers=auth) as http:
        assert http.get("/api/v1/objects/demo.public.orders").status_code == 200

    def joined(spans: list[Span]) -> bool:
        return any(
            s.service == "catalog"
            and "GetObject" in s.name
            and s.trace_id in _gateway_traces(spans)
            for s in spans
        )

    spans = stack.traces.wait_for(joined)
    trace_id = next(s.trace_id for s in spans if s.service == "catalog" and "GetObject" in s.name)
    in_trace = [s for s in spans if s.trace_id == trace_id]
    assert {s.service for s in in_trace} == {"gateway", "catalog"}
    by_id = {s.span_id: s for s in in_trace}
    server = next(s for s in in_trace if s.service == "catalog" and "GetObject" in s.name)
    assert by_id[server.parent_id].service == "gateway"  # parented across the process boundary
    assert any(s.service == "catalog" and s.parent_id for s in in_trace if s is not server)


def _gateway_traces(spans: list[Span]) -> set[str]:
    return {s.trace_id for s in spans if s.service == "gateway" and "objects" in s.name}


def test_ctrl_c_stops_every_process(stack: Stack) -> None:
    pids = [pid for pid in stack.info()["pids"].values() if pid]
    assert len(pids) >= 3  # supervisor, catalog, gateway (+ embedded servers when used)
    stack.proc.send_signal(signal.SIGINT)
    assert stack.proc.wait(60) == 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    assert [p for p in pids if _alive(p)] == []


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False

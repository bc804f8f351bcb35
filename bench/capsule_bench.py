"""The whole capsule in one call: p50/p95 of `GET /api/v1/capsules/{urn}` (the gateway fanning
out to catalog, quality and governance in parallel) on the demo shop, served by `make run`'s
own supervisor (every service its own process).

Baseline (same run, same capsule, same gateway, interleaved): `GET /api/v1/objects/{ref}` — one
catalog call and the quality score, what a client fetched before to show a capsule's header."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.servers import Servers
from devstack.backends import BACKENDS
from devstack.embedded import free_port
from devstack.urls import with_database

ADMIN_KEY = "bench-capsule-admin-key"
CAPSULE = "demo.public.orders"
WARMUP = 20
READY_TIMEOUT = 300.0


def _pct(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _figures(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(_pct(ms, 95), 2),
        "max_ms": round(max(ms), 2),
    }


@contextlib.contextmanager
def _stack(srv: Servers, database_url: str, tag: str, home: Path) -> Iterator[str]:
    """`make run`'s own supervisor (`python -m devstack run`: every service its own process,
    the demo shop loaded and scanned) on ports, a database and a stream of its own; yields the
    API base URL once it is ready."""
    gateway_port = free_port()
    env = {
        **os.environ,
        "DATACOMPASS_HOME": str(home),
        "DATACOMPASS_DATABASE_URL": database_url,
        "DATACOMPASS_NATS_URL": srv.nats_url,
        "DATACOMPASS_NATS_STREAM": f"BENCHC{tag.upper()}",
        "DATACOMPASS_EVENT_SUBJECT_PREFIX": f"benchc{tag}",
        "DATACOMPASS_GATEWAY_PORT": str(gateway_port),
        "DATACOMPASS_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
    }
    for backend in BACKENDS:
        env[backend.grpc_port_env] = str(free_port())
        env[backend.metrics_port_env] = str(free_port())
    log_path = home / "supervisor.log"
    home.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "devstack", "run"], env=env, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            state = home / "stack.json"
            while not (state.exists() and json.loads(state.read_text()).get("phase") == "ready"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"stack not ready:\n{log_path.read_text()[-4000:]}")
                time.sleep(0.2)
            yield f"http://127.0.0.1:{gateway_port}/api/v1"
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _ok(resp: httpx.Response) -> Any:
    if resp.status_code >= 300:
        raise RuntimeError(f"{resp.request.method} {resp.request.url}: {resp.text}")
    return resp.json()


async def _fill(http: httpx.AsyncClient) -> None:
    """On top of the demo as `make run` leaves it: a steward's semantic and governance work."""
    _ok(await http.post("/business-terms", json={"name": "Revenue", "definition": "Money in"}))
    _ok(await http.post(f"/capsules/{CAPSULE}/business-terms/Revenue", json={}))
    meaning = {"business_definition": "Order value", "unit_of_measure": "USD", "min_value": 0}
    _ok(await http.patch(f"/capsules/{CAPSULE}/columns/order_total", json=meaning))
    _ok(await http.post(f"/ownership/objects/{CAPSULE}", json={"user": "olga"}))
    _ok(await http.put(f"/classification/objects/{CAPSULE}", json={"level": "internal"}))
    _ok(await http.post(f"/capsules/{CAPSULE}/policies", json={"sensitivity": "internal"}))
    _ok(await http.post(f"/capsules/{CAPSULE}/profile", json={"wait": True}, timeout=600))


async def _sample(http: httpx.AsyncClient, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        resp = await http.get(path)
        out.append(time.perf_counter() - start)
        resp.raise_for_status()
    return out


async def run(srv: Servers, *, requests: int = 300) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    services_db = f"bench_capsule_{tag}"
    admin = await asyncpg.connect(srv.database_url)
    await admin.execute(f'CREATE DATABASE "{services_db}"')
    await admin.close()
    try:
        database_url = with_database(srv.database_url, services_db)
        with (
            tempfile.TemporaryDirectory(prefix="dc-bench-capsule-") as home,
            _stack(srv, database_url, tag, Path(home)) as api,
        ):
            async with httpx.AsyncClient(
                base_url=api, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30
            ) as http:
                await _fill(http)
                capsule = _ok(await http.get(f"/capsules/{CAPSULE}"))
                # Interleaved rounds, so both see the same machine load.
                ours: list[float] = []
                base: list[float] = []
                await _sample(http, f"/capsules/{CAPSULE}", WARMUP)
                await _sample(http, f"/objects/{CAPSULE}", WARMUP)
                for _ in range(10):
                    ours += await _sample(http, f"/capsules/{CAPSULE}", requests // 10)
                    base += await _sample(http, f"/objects/{CAPSULE}", requests // 10)
    finally:
        admin = await asyncpg.connect(srv.database_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{services_db}" WITH (FORCE)')
        await admin.close()
    unavailable = [
        name
        for name, section in capsule.items()
        if isinstance(section, dict) and not section.get("available", True)
    ]
    return {
        "benchmark": "capsule_one_call",
        "capsule": CAPSULE,
        "requests": len(ours),
        "capsule_ms": _figures(ours),
        "baseline_get_object_ms": _figures(base),
        "goal_p95_ms": 50,
        "meets_goal": _pct(ours, 95) * 1000 < 50,
        "unavailable_sections": unavailable,
        "counts": {
            name: section["counts"]
            for name, section in capsule.items()
            if isinstance(section, dict) and section.get("counts")
        },
    }

"""Fixtures for the scheduler suite: scheduler instances in-process over real gRPC, PostgreSQL
and NATS with a controllable clock; the real catalog service scanning a real source database;
and a real gRPC server standing in for the quality service that fails on demand."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import grpc
import pytest

from catalog_service.app import running as catalog_running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import events_pb2
from datacompass.quality.v1 import dq_pb2 as qpb
from datacompass.quality.v1 import dq_pb2_grpc
from datacompass.scheduler.v1 import scheduler_pb2 as pb
from datacompass.scheduler.v1 import scheduler_pb2_grpc
from dckit.clock import ManualClock
from dckit.crypto import SecretBox
from dckit.grpc_client import channel
from dckit.protoconv import enum_text, struct
from devstack.databases import SourceDatabases, sql_build
from devstack.embedded import free_port as find_free_port
from devstack.testing import starts_stack
from devstack.urls import postgres_connection
from scheduler_service.app import SchedulerService
from scheduler_service.app import running as scheduler_running
from scheduler_service.config import SchedulerSettings

SOURCE = "shop"
START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
SOURCE_SQL = "CREATE SCHEMA sales; CREATE TABLE sales.orders (id int)"


class Clock(ManualClock):
    """The schedulers' time: moves only when the test says so (or sets it)."""

    def set(self, now: datetime) -> None:
        self.now = now


@dataclass
class Env:
    """What every scheduler of a test shares: database, NATS, addresses of its peers."""

    database_url: str
    nats_url: str
    nats_stream: str
    event_subject_prefix: str
    catalog_addr: str = ""
    quality_addr: str = ""

    def settings(self, **overrides: Any) -> SchedulerSettings:
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "nats_url": self.nats_url,
            "nats_stream": self.nats_stream,
            "event_subject_prefix": self.event_subject_prefix,
            "metrics_port": 0,
            "shutdown_grace_seconds": 3,
            "grpc_port": find_free_port(),
            # Nothing listens on a fresh free port: UNAVAILABLE, unless a test sets a peer.
            "catalog_addr": self.catalog_addr or f"127.0.0.1:{find_free_port()}",
            "quality_addr": self.quality_addr or f"127.0.0.1:{find_free_port()}",
            "poll_interval_seconds": 0.02,
            "retry_backoff_seconds": 0.05,
            "retry_backoff_max_seconds": 0.2,
            "rpc_timeout_seconds": 5,
            **overrides,
        }
        return SchedulerSettings(**values)

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def outbox_events(self, event_type: str) -> list[events_pb2.EventEnvelope]:
        rows = await self.sql(
            "SELECT payload FROM scheduler.outbox WHERE event_type = $1 ORDER BY created_at, id",
            event_type,
        )
        return [events_pb2.EventEnvelope.FromString(r["payload"]) for r in rows]


@dataclass
class Scheduler:
    stub: scheduler_pb2_grpc.SchedulerServiceStub
    service: SchedulerService


@asynccontextmanager
async def start_scheduler(env: Env, clock: Clock, **overrides: Any) -> AsyncIterator[Scheduler]:
    async with scheduler_running(env.settings(**overrides), clock) as service:
        chan = channel(f"127.0.0.1:{service.grpc.bound_port}", max_attempts=1)
        try:
            yield Scheduler(scheduler_pb2_grpc.SchedulerServiceStub(chan), service)
        finally:
            await chan.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def env(service_database: str, nats_url: str, nats_stream: str, event_subject_prefix: str) -> Env:
    return Env(service_database, nats_url, nats_stream, event_subject_prefix)


@pytest.fixture
@starts_stack
async def scheduler(env: Env, clock: Clock) -> AsyncIterator[Scheduler]:
    async with start_scheduler(env, clock) as s:
        yield s


# ---------------------------------------------------------------- the catalog, for real


@dataclass
class Catalog:
    stub: catalog_pb2_grpc.CatalogServiceStub
    addr: str

    async def scans(self) -> list[cpb.ScanRun]:
        got = await self.stub.ListScans(
            cpb.ListScansRequest(source_name=SOURCE, page={"limit": 500})
        )
        return list(got.items)

    async def settled_scans(self, expected: int, wait: float = 15.0) -> list[cpb.ScanRun]:
        """The scans once `expected` exist and none is still running."""
        running = cpb.ScanStatus.SCAN_STATUS_RUNNING
        scans: list[cpb.ScanRun] = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            scans = await self.scans()
            if len(scans) >= expected and all(s.status != running for s in scans):
                break
            await asyncio.sleep(0.05)
        return scans


@pytest.fixture
@starts_stack
async def catalog(source_databases: SourceDatabases, env: Env) -> AsyncIterator[Catalog]:
    """The catalog service (its own schema in the test database) with one small source (read
    only: shared by the session)."""
    source_url = await source_databases.shared("scheduler", sql_build(SOURCE_SQL))
    settings = CatalogSettings(
        database_url=env.database_url,
        nats_url=env.nats_url,
        nats_stream=env.nats_stream,
        event_subject_prefix=env.event_subject_prefix,
        metrics_port=0,
        shutdown_grace_seconds=3,
        grpc_port=find_free_port(),
        encryption_key=SecretBox.generate_key(),
    )
    async with catalog_running(settings) as service:
        addr = f"127.0.0.1:{service.grpc.bound_port}"
        chan = channel(addr, max_attempts=1)
        try:
            stub = catalog_pb2_grpc.CatalogServiceStub(chan)
            connection = postgres_connection(source_url, connect_timeout_seconds=5)
            await stub.CreateSource(
                cpb.CreateSourceRequest(
                    name=SOURCE, source_type="postgres", connection=struct(connection)
                )
            )
            env.catalog_addr = addr
            yield Catalog(stub, addr)
        finally:
            await chan.close()


# ---------------------------------------------------------------- a quality stand-in


@dataclass
class FlakyQuality(dq_pb2_grpc.DqServiceServicer):
    """A real gRPC DqService whose StartRun answers the queued failure codes first, and
    (when `gate` is set) holds every call until the gate opens."""

    failures: list[grpc.StatusCode] = field(default_factory=list)
    requests: list[qpb.StartRunRequest] = field(default_factory=list)
    gate: asyncio.Event | None = None

    async def StartRun(
        self, request: qpb.StartRunRequest, context: grpc.aio.ServicerContext
    ) -> qpb.DqRun:
        self.requests.append(request)
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            await context.abort(self.failures.pop(0), "not now")
        return qpb.DqRun(id=4000 + len(self.requests), object_ref=request.object.qualified_name,
                         status=qpb.DQ_RUN_STATUS_RUNNING)  # fmt: skip


@asynccontextmanager
async def flaky_quality(
    *failures: grpc.StatusCode, gate: asyncio.Event | None = None
) -> AsyncIterator[tuple[FlakyQuality, str]]:
    servicer = FlakyQuality(list(failures), gate=gate)
    server = grpc.aio.server()
    dq_pb2_grpc.add_DqServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


# ---------------------------------------------------------------- helpers


def scan_schedule(name: str = "nightly shop", **kw: Any) -> pb.CreateScheduleRequest:
    values: dict[str, Any] = {
        "name": name,
        "cron": "* * * * *",
        "task_type": "metadata_scan",
        "params": struct({"source_name": SOURCE}),
        **kw,
    }
    return pb.CreateScheduleRequest(**values)


def dq_schedule(name: str = "dq orders", **kw: Any) -> pb.CreateScheduleRequest:
    values: dict[str, Any] = {
        "name": name,
        "cron": "0 6 * * *",
        "task_type": "dq_run",
        "params": struct({"object_ref": f"{SOURCE}.sales.orders", "days": 3}),
        **kw,
    }
    return pb.CreateScheduleRequest(**values)


async def eventually(
    probe: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], wait: float = 15.0
) -> Any:
    """Poll `probe` until `done(value)`; returns the last value (the assert is the caller's)."""
    deadline = time.monotonic() + wait
    value = await probe()
    while not done(value) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        value = await probe()
    return value


async def runs_of(s: Scheduler, schedule_id: int) -> list[pb.ScheduleRun]:
    got = await s.stub.ListRuns(pb.ListRunsRequest(schedule_id=schedule_id, page={"limit": 500}))
    return list(got.items)


def status(run: pb.ScheduleRun) -> str:
    """A run's status as its label (`succeeded`)."""
    return enum_text(pb.ScheduleRunStatus.DESCRIPTOR, run.status)


def finished(runs: list[pb.ScheduleRun]) -> bool:
    return bool(runs) and all(status(r) not in ("pending", "running") for r in runs)

"""Wiring: builds the scheduler service from its settings (used by __main__ and by tests)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.quality.v1 import dq_pb2_grpc, quality_rules_pb2_grpc
from datacompass.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from dckit.bus import EventBus
from dckit.clock import Clock, utc_now
from dckit.db import Database
from dckit.grpc_client import channel
from dckit.grpc_server import GrpcApp
from dckit.leases import Leases
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process
from dckit.uow import Transactions
from scheduler_service import telemetry
from scheduler_service.adapters.owners import GrpcOwners
from scheduler_service.api import runs_mappers
from scheduler_service.api.servicer import SchedulerServicer
from scheduler_service.application.runs import Retry, RunUseCases
from scheduler_service.application.schedules import ScheduleUseCases
from scheduler_service.application.tasks import TASK_TYPES
from scheduler_service.config import SchedulerSettings
from scheduler_service.db.runs import LEASES
from scheduler_service.db.tables import SCHEMA, outbox
from scheduler_service.db.unit_of_work import SchedulerUnitOfWork
from scheduler_service.domain.runs import ScheduleRun

SERVICE = "scheduler"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"].full_name


@dataclass
class SchedulerService:
    settings: SchedulerSettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    schedules: ScheduleUseCases
    runs: RunUseCases
    leases: Leases[SchedulerUnitOfWork]
    grpc: GrpcApp


async def migrate(settings: SchedulerSettings) -> None:
    await upgrade_async(MIGRATIONS, settings.database_url.get_secret_value(), SCHEMA)


def build(settings: SchedulerSettings, clock: Clock | None = None) -> SchedulerService:
    """`clock` is the seam tests use to control time (every other part is real); without one,
    schedules read the system clock and leases the database's (so replicas agree)."""
    base = foundation(settings, SERVICE, outbox)
    tx = Transactions(base.db, base.outbox, SchedulerUnitOfWork)
    # One attempt per call: the run's own retry policy (attempts recorded, backoff with
    # jitter, max_attempts per schedule) governs, not the channel's hidden retries.
    timeout = settings.rpc_timeout_seconds
    catalog_channel = channel(settings.catalog_addr, default_timeout=timeout, max_attempts=1)
    quality_channel = channel(settings.quality_addr, default_timeout=timeout, max_attempts=1)
    owners = GrpcOwners(
        catalog_pb2_grpc.CatalogServiceStub(catalog_channel),
        dq_pb2_grpc.DqServiceStub(quality_channel),
        quality_rules_pb2_grpc.QualityRulesServiceStub(quality_channel),
        check_timeout_seconds=settings.check_timeout_seconds,
    )

    async def lost(uow: SchedulerUnitOfWork, rows: Sequence[Mapping[str, Any]]) -> None:
        await runs.lost(uow, rows)

    leases = Leases(
        tx,
        LEASES,
        worker=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
        heartbeat_seconds=settings.run_heartbeat_seconds,
        stale_seconds=settings.run_stale_seconds,
        clock=clock,
        on_lost=lost,
        what="schedule run",
    )
    runs = RunUseCases(
        tx,
        TASK_TYPES,
        owners,
        runs_mappers.run,
        leases,
        clock=clock or utc_now,
        retry=Retry(settings.retry_backoff_seconds, settings.retry_backoff_max_seconds),
        poll_interval_seconds=settings.poll_interval_seconds,
        claim_batch_size=settings.claim_batch_size,
    )

    def finished(run: ScheduleRun) -> None:
        telemetry.observe_finished(run)
        base.relay.wake()

    runs.on_fired = telemetry.observe_fired
    runs.on_finished = finished
    schedules = ScheduleUseCases(tx, TASK_TYPES, clock or utc_now)
    servicer = SchedulerServicer(schedules, runs)

    def register(server: grpc.aio.Server) -> None:
        scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server(servicer, server)

    async def close() -> None:
        await runs.drain(settings.shutdown_grace_seconds)
        await catalog_channel.close()
        await quality_channel.close()

    app = grpc_app(
        base, SERVICE_NAME, register, workers=[runs.worker, runs.keep_leases], on_shutdown=[close]
    )
    return SchedulerService(settings, base.db, base.bus, base.relay, schedules, runs, leases, app)


async def start(service: SchedulerService) -> None:
    """Everything before serving: schema up to date, NATS connecting."""
    await migrate(service.settings)
    await service.bus.connect()


def running(
    settings: SchedulerSettings, clock: Clock | None = None
) -> AbstractAsyncContextManager[SchedulerService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings, clock), start)

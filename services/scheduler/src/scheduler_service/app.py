"""Wiring: builds the scheduler service from its settings (used by __main__ and by tests)."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc

from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.quality.v1 import dq_pb2_grpc, quality_rules_pb2_grpc
from datacompass.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from dckit.bus import EventBus
from dckit.db import Database
from dckit.grpc_client import channel
from dckit.grpc_server import GrpcApp
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process
from scheduler_service import telemetry
from scheduler_service.adapters.grpc_dispatch import GrpcDispatcher
from scheduler_service.api import mappers
from scheduler_service.api.servicer import SchedulerServicer
from scheduler_service.application.runs import Retry, RunUseCases
from scheduler_service.application.schedules import Clock, ScheduleUseCases
from scheduler_service.config import SchedulerSettings
from scheduler_service.db.repository import Row
from scheduler_service.db.tables import SCHEMA, outbox

SERVICE = "scheduler"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"].full_name


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SchedulerService:
    settings: SchedulerSettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    schedules: ScheduleUseCases
    runs: RunUseCases
    grpc: GrpcApp


async def migrate(settings: SchedulerSettings) -> None:
    await upgrade_async(MIGRATIONS, settings.database_url.get_secret_value(), SCHEMA)


def build(settings: SchedulerSettings, clock: Clock = utc_now) -> SchedulerService:
    """`clock` is the seam tests use to control time (every other part is real)."""
    base = foundation(settings, SERVICE, outbox)
    db, bus, relay = base.db, base.bus, base.relay
    events = base.outbox
    # One attempt per call: the run's own retry policy (attempts recorded, backoff with
    # jitter, max_attempts per schedule) governs, not the channel's hidden retries.
    timeout = settings.rpc_timeout_seconds
    catalog_channel = channel(settings.catalog_addr, default_timeout=timeout, max_attempts=1)
    quality_channel = channel(settings.quality_addr, default_timeout=timeout, max_attempts=1)
    runs = RunUseCases(
        db,
        events,
        GrpcDispatcher(
            catalog_pb2_grpc.CatalogServiceStub(catalog_channel),
            dq_pb2_grpc.DqServiceStub(quality_channel),
            quality_rules_pb2_grpc.QualityRulesServiceStub(quality_channel),
            check_timeout_seconds=settings.check_timeout_seconds,
        ),
        mappers.run,
        clock=clock,
        worker=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
        heartbeat_seconds=settings.run_heartbeat_seconds,
        stale_seconds=settings.run_stale_seconds,
        retry=Retry(settings.retry_backoff_seconds, settings.retry_backoff_max_seconds),
        poll_interval_seconds=settings.poll_interval_seconds,
        claim_batch_size=settings.claim_batch_size,
    )

    def finished(run: Row) -> None:
        telemetry.observe_finished(run)
        relay.wake()

    runs.on_fired = telemetry.observe_fired
    runs.on_finished = finished
    schedules = ScheduleUseCases(db, events, clock)
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
    return SchedulerService(settings, db, bus, relay, schedules, runs, app)


async def start(service: SchedulerService) -> None:
    """Everything before serving: schema up to date, NATS connecting."""
    await migrate(service.settings)
    await service.bus.connect()


def running(
    settings: SchedulerSettings, clock: Clock = utc_now
) -> AbstractAsyncContextManager[SchedulerService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings, clock), start)

"""Wiring: builds the quality service from its settings (used by __main__ and by tests)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.governance.v1 import governance_pb2_grpc
from datacompass.quality.v1 import quality_pb2, quality_pb2_grpc
from dcconnectors import registry
from dckit.bus import EventBus
from dckit.db import Database
from dckit.errors import FailedPrecondition
from dckit.grpc_client import channel
from dckit.grpc_server import GrpcApp
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process
from quality_service import telemetry
from quality_service.adapters.catalog_grpc import GrpcCatalog
from quality_service.adapters.governance_grpc import GrpcMasker
from quality_service.api import check_mappers, mappers
from quality_service.api.servicer import QualityServicer
from quality_service.application.breaches import BreachUseCases
from quality_service.application.check_runs import CheckRunUseCases
from quality_service.application.configs import ConfigUseCases
from quality_service.application.ports import Executor, ExecutorFactory, SampleMasker
from quality_service.application.profile_runs import ProfileUseCases
from quality_service.application.quality_rules import QualityRuleUseCases
from quality_service.application.runs import RunEvents, RunUseCases
from quality_service.config import QualitySettings
from quality_service.db.repository import Row
from quality_service.db.tables import SCHEMA, outbox

SERVICE = "quality"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = quality_pb2.DESCRIPTOR.services_by_name["QualityService"].full_name


@dataclass
class QualityService:
    settings: QualitySettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    runs: RunUseCases
    grpc: GrpcApp


def executors(statement_timeout_ms: int) -> ExecutorFactory:
    """Query executors from the source connectors (dcconnectors), by source type."""

    def make(source_type: str, connection: Mapping[str, Any]) -> Executor:
        try:
            factory = registry.get(source_type).executor
        except registry.UnknownSourceType:
            factory = None
        if factory is None:
            raise FailedPrecondition(
                f"data quality runs are not supported on {source_type} sources"
            )
        return factory(connection, statement_timeout_ms=statement_timeout_ms)

    return make


async def migrate(settings: QualitySettings) -> None:
    await upgrade_async(MIGRATIONS, settings.database_url.get_secret_value(), SCHEMA)


def build(
    settings: QualitySettings,
    executor_factory: ExecutorFactory | None = None,
    masker: SampleMasker | None = None,
) -> QualityService:
    base = foundation(settings, SERVICE, outbox)
    db, bus, relay = base.db, base.bus, base.relay
    events = base.outbox
    catalog_channel = channel(settings.catalog_addr, default_timeout=settings.rpc_timeout_seconds)
    catalog = GrpcCatalog(catalog_pb2_grpc.CatalogServiceStub(catalog_channel))
    factory = executor_factory or executors(settings.statement_timeout_ms)
    governance_channel = channel(
        settings.governance_addr, default_timeout=settings.rpc_timeout_seconds
    )
    if masker is None:
        masker = GrpcMasker(governance_pb2_grpc.GovernanceServiceStub(governance_channel))
    runs = RunUseCases(
        db,
        events,
        catalog,
        factory,
        RunEvents(mappers.breach_detected, mappers.breach_bulk, mappers.run_finished),
        worker=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
        default_parallelism=settings.default_parallelism,
        max_parallelism=settings.max_parallelism,
        default_queries_per_second=settings.default_queries_per_second,
        heartbeat_seconds=settings.run_heartbeat_seconds,
        stale_seconds=settings.run_stale_seconds,
    )

    def finished(run: Row, seconds: float) -> None:
        telemetry.observe_run(run, seconds)
        relay.wake()

    runs.on_finished = finished
    rules = QualityRuleUseCases(db, events, catalog, masker)
    checks = CheckRunUseCases(
        db,
        events,
        catalog,
        factory,
        masker,
        rules,
        check_mappers.run_finished,
        default_sample_limit=settings.check_sample_limit,
        stale_seconds=settings.check_stale_seconds,
    )
    profiles = ProfileUseCases(
        db, catalog, factory, masker, rules, stale_seconds=settings.profile_stale_seconds
    )
    servicer = QualityServicer(
        ConfigUseCases(db, events, catalog),
        runs,
        BreachUseCases(db, events),
        rules,
        checks,
        profiles,
    )

    def register(server: grpc.aio.Server) -> None:
        quality_pb2_grpc.add_QualityServiceServicer_to_server(servicer, server)

    async def close() -> None:
        await runs.drain()
        await profiles.drain()
        await catalog_channel.close()
        await governance_channel.close()

    app = grpc_app(
        base,
        SERVICE_NAME,
        register,
        workers=[
            runs.recover_stale,
            profiles.recover_stale,
            checks.recover_stale,
            telemetry.breach_gauge_worker(db),
        ],
        on_shutdown=[close],
    )
    return QualityService(settings, db, bus, relay, runs, app)


async def start(service: QualityService) -> None:
    """Everything before serving: schema up to date, NATS connecting."""
    await migrate(service.settings)
    await service.bus.connect()


def running(
    settings: QualitySettings,
    executor_factory: ExecutorFactory | None = None,
    masker: SampleMasker | None = None,
) -> AbstractAsyncContextManager[QualityService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings, executor_factory, masker), start)

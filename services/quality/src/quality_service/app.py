"""Wiring: builds the quality service from its settings (used by __main__ and by tests). One
process serves both subsystems: DQ metrics (DqService) and quality rules with their checks,
profiles and suggestions (QualityRulesService)."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import grpc

from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.governance.v1 import governance_pb2_grpc
from datacompass.quality.v1 import dq_pb2, dq_pb2_grpc, quality_rules_pb2, quality_rules_pb2_grpc
from dckit.bus import EventBus
from dckit.clock import Clock
from dckit.db import Database
from dckit.grpc_client import channel
from dckit.grpc_server import GrpcApp
from dckit.leases import Leases, LeaseTable
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process
from dckit.uow import Transactions
from quality_service import telemetry
from quality_service.adapters.catalog_grpc import GrpcCatalog
from quality_service.adapters.executors import executors
from quality_service.adapters.governance_grpc import GrpcMasker
from quality_service.api import (
    dq_breaches_mappers,
    dq_runs_mappers,
    quality_checks_mappers,
    quality_rules_mappers,
)
from quality_service.api.dq_servicer import DqServicer
from quality_service.api.quality_rules_servicer import QualityRulesServicer
from quality_service.application.dq_breaches import DqBreachUseCases
from quality_service.application.dq_configs import DqConfigUseCases
from quality_service.application.dq_results import DqResultUseCases
from quality_service.application.dq_runs import DqRunUseCases
from quality_service.application.object_urns import ObjectUrnUseCases
from quality_service.application.ports import DqRunPayloads, ExecutorFactory, SampleMasker
from quality_service.application.profiles import ProfileUseCases
from quality_service.application.quality_checks import CheckRunUseCases
from quality_service.application.quality_rules import QualityRuleUseCases
from quality_service.config import QualitySettings
from quality_service.db import tables
from quality_service.db.unit_of_work import QualityUnitOfWork
from quality_service.domain.dq_runs import ACTIVE

SERVICE = "quality"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAMES = (
    dq_pb2.DESCRIPTOR.services_by_name["DqService"].full_name,
    quality_rules_pb2.DESCRIPTOR.services_by_name["QualityRulesService"].full_name,
)


@dataclass
class RunLeases:
    """The leases of the three kinds of run (one mechanism, each kind's own timeout)."""

    dq: Leases[QualityUnitOfWork]
    checks: Leases[QualityUnitOfWork]
    profiles: Leases[QualityUnitOfWork]


@dataclass
class QualityService:
    settings: QualitySettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    tx: Transactions[QualityUnitOfWork]
    leases: RunLeases
    runs: DqRunUseCases
    grpc: GrpcApp


def run_leases(
    tx: Transactions[QualityUnitOfWork],
    settings: QualitySettings,
    worker: str,
    clock: Clock | None = None,
) -> RunLeases:
    """Leases on DQ, check and profile runs; `clock` None: the database's (tests drive one)."""

    def leases(runs: LeaseTable, stale_seconds: float, what: str) -> Leases[QualityUnitOfWork]:
        return Leases(
            tx,
            runs,
            worker=worker,
            heartbeat_seconds=settings.run_heartbeat_seconds,
            stale_seconds=stale_seconds,
            clock=clock,
            what=what,
        )

    return RunLeases(
        dq=leases(LeaseTable(tables.dq_runs, active=ACTIVE), settings.run_stale_seconds, "DQ run"),
        checks=leases(
            LeaseTable(tables.quality_check_runs, failed="error"),
            settings.check_stale_seconds,
            "check run",
        ),
        profiles=leases(
            LeaseTable(tables.profile_runs), settings.profile_stale_seconds, "profile run"
        ),
    )


async def migrate(settings: QualitySettings) -> None:
    await upgrade_async(MIGRATIONS, settings.database_url.get_secret_value(), tables.SCHEMA)


def build(
    settings: QualitySettings,
    executor_factory: ExecutorFactory | None = None,
    masker: SampleMasker | None = None,
) -> QualityService:
    base = foundation(settings, SERVICE, tables.outbox)
    tx = Transactions(base.db, base.outbox, QualityUnitOfWork)
    timeout = settings.rpc_timeout_seconds
    catalog_channel = channel(settings.catalog_addr, default_timeout=timeout)
    governance_channel = channel(settings.governance_addr, default_timeout=timeout)
    catalog = GrpcCatalog(
        catalog_pb2_grpc.CatalogServiceStub(catalog_channel),
        cache_seconds=settings.catalog_cache_seconds,
    )
    if masker is None:
        masker = GrpcMasker(governance_pb2_grpc.GovernanceServiceStub(governance_channel))
    factory = executor_factory or executors(settings.statement_timeout_ms)

    worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    held = run_leases(tx, settings, worker)

    def finished(run: dict[str, object], seconds: float) -> None:
        telemetry.observe_run(run, seconds)
        base.relay.wake()

    runs = DqRunUseCases(
        tx,
        catalog,
        factory,
        held.dq,
        DqRunPayloads(
            dq_breaches_mappers.breach_detected,
            dq_breaches_mappers.breach_bulk,
            dq_runs_mappers.run_finished,
        ),
        default_parallelism=settings.default_parallelism,
        max_parallelism=settings.max_parallelism,
        default_queries_per_second=settings.default_queries_per_second,
        poll_seconds=settings.run_heartbeat_seconds,
        on_finished=finished,
    )
    held.dq.on_lost = runs.lost
    breaches = DqBreachUseCases(tx, catalog, masker)
    results = DqResultUseCases(tx, masker)
    dq = DqServicer(DqConfigUseCases(tx, catalog), runs, results, breaches)

    rules = QualityRuleUseCases(tx, catalog, masker, quality_rules_mappers.rule_changed)
    checks = CheckRunUseCases(
        tx,
        catalog,
        factory,
        masker,
        rules,
        held.checks,
        quality_checks_mappers.run_finished,
        default_sample_limit=settings.check_sample_limit,
    )
    profiles = ProfileUseCases(tx, catalog, factory, masker, rules, held.profiles)
    quality_rules = QualityRulesServicer(rules, checks, profiles)

    def register(server: grpc.aio.Server) -> None:
        dq_pb2_grpc.add_DqServiceServicer_to_server(dq, server)
        quality_rules_pb2_grpc.add_QualityRulesServiceServicer_to_server(quality_rules, server)

    async def close() -> None:
        await runs.drain()
        await profiles.drain()
        await checks.drain()
        await catalog_channel.close()
        await governance_channel.close()

    app = grpc_app(
        base,
        SERVICE_NAMES,
        register,
        workers=[
            held.dq.upkeep,
            held.checks.upkeep,
            held.profiles.upkeep,
            ObjectUrnUseCases(tx, catalog).worker,
            telemetry.breach_gauge_worker(breaches.open_by_priority),
        ],
        on_shutdown=[close],
    )
    return QualityService(settings, base.db, base.bus, base.relay, tx, held, runs, app)


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

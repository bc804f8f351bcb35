"""Wiring: builds the catalog service from its settings (used by __main__ and by tests). The
only module that sees both the use cases and the database, adapters and API."""

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
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.adapters.connectors import RegistryConnectors
from catalog_service.adapters.metrics import PrometheusScanMetrics
from catalog_service.adapters.quality_grpc import GrpcQualityRules
from catalog_service.api import completeness_mappers, glossary_mappers, semantics_mappers
from catalog_service.api.completeness_servicer import CompletenessServicer
from catalog_service.api.deprecations_mappers import deadline_approaching
from catalog_service.api.scans_mappers import scan_finished
from catalog_service.api.semantics_servicer import SemanticsServicer
from catalog_service.api.servicer import CatalogServicer
from catalog_service.api.structure_mappers import schema_changed
from catalog_service.application.capsule_code import CapsuleCodeUseCases
from catalog_service.application.completeness import CompletenessUseCases
from catalog_service.application.deprecations import DeprecationUseCases
from catalog_service.application.glossary import GlossaryUseCases
from catalog_service.application.lineage import LineageUseCases
from catalog_service.application.objects import ObjectUseCases
from catalog_service.application.scans import ScanUseCases
from catalog_service.application.semantics import SemanticsUseCases
from catalog_service.application.sources import SourceUseCases
from catalog_service.application.structure import StructureUseCases
from catalog_service.config import CatalogSettings
from catalog_service.db.scans import SCAN_LEASES
from catalog_service.db.tables import SCHEMA, outbox, processed_events
from catalog_service.db.unit_of_work import CatalogUnitOfWork
from datacompass.catalog.v1 import (
    catalog_pb2,
    catalog_pb2_grpc,
    completeness_pb2,
    completeness_pb2_grpc,
    semantics_pb2,
    semantics_pb2_grpc,
)
from datacompass.common.v1 import events_pb2
from datacompass.quality.v1 import quality_rules_pb2_grpc
from dckit.bus import EventBus
from dckit.clock import Clock, utc_now
from dckit.consumer import IdempotentConsumer
from dckit.crypto import SecretBox
from dckit.db import Database
from dckit.grpc_client import channel
from dckit.grpc_server import GrpcApp
from dckit.leases import Leases
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process
from dckit.uow import Transactions

SERVICE = "catalog"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name
SEMANTICS_SERVICE_NAME = semantics_pb2.DESCRIPTOR.services_by_name["SemanticsService"].full_name
COMPLETENESS_SERVICE_NAME = completeness_pb2.DESCRIPTOR.services_by_name[
    "CompletenessService"
].full_name
# Metadata completeness hears every event (the handler picks the ones that move a fact).
COMPLETENESS_CONSUMER = "catalog-completeness"


@dataclass
class CatalogService:
    settings: CatalogSettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    tx: Transactions[CatalogUnitOfWork]
    scans: ScanUseCases
    scan_leases: Leases[CatalogUnitOfWork]
    grpc: GrpcApp
    deprecations: DeprecationUseCases
    completeness: CompletenessUseCases | None = None
    completeness_consumer: IdempotentConsumer | None = None


async def migrate(settings: CatalogSettings) -> None:
    await upgrade_async(MIGRATIONS, settings.database_url.get_secret_value(), SCHEMA)


def build(settings: CatalogSettings, *, clock: Clock | None = None) -> CatalogService:
    """The service; `clock` drives scan leases (default: the database's clock) and deprecation
    deadlines (default: UTC now)."""
    base = foundation(settings, SERVICE, outbox)
    tx = Transactions(base.db, base.outbox, CatalogUnitOfWork, on_commit=base.relay.wake)
    box = SecretBox(settings.encryption_key.get_secret_value())
    connectors = RegistryConnectors()

    async def lost(uow: CatalogUnitOfWork, runs: Sequence[Mapping[str, Any]]) -> None:
        await scans.lost(uow, runs)

    leases = Leases(
        tx,
        SCAN_LEASES,
        worker=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
        heartbeat_seconds=settings.scan_lease_seconds,
        stale_seconds=settings.scan_stale_seconds,
        clock=clock,
        on_lost=lost,
        what="scan",
    )
    scans = ScanUseCases(
        tx,
        connectors=connectors,
        secrets=box,
        leases=leases,
        metrics=PrometheusScanMetrics(),
        scan_payload=scan_finished,
        schema_payload=schema_changed,
        scan_timeout=settings.scan_timeout_seconds,
        statement_timeout_ms=settings.source_statement_timeout_ms,
        max_concurrent=settings.max_concurrent_scans,
        parallelism=settings.scan_parallelism,
    )
    deprecations = DeprecationUseCases(tx, payload=deadline_approaching, clock=clock or utc_now)
    quality = channel(settings.quality_addr) if settings.quality_addr else None
    semantics = SemanticsServicer(
        glossary=GlossaryUseCases(
            tx,
            term_payload=glossary_mappers.term_changed,
            link_payload=glossary_mappers.link_changed,
        ),
        semantics=SemanticsUseCases(
            tx,
            column_payload=semantics_mappers.column_changed,
            domain_payload=semantics_mappers.domain_changed,
        ),
        capsule_code=CapsuleCodeUseCases(
            tx,
            column_payload=semantics_mappers.column_changed,
            link_payload=glossary_mappers.link_changed,
            layers=settings.layers,
            quality=GrpcQualityRules(quality_rules_pb2_grpc.QualityRulesServiceStub(quality))
            if quality
            else None,
        ),
    )

    completeness = CompletenessUseCases(tx, settings.completeness_weights)
    completeness_servicer = CompletenessServicer(completeness)
    servicer = CatalogServicer(
        sources=SourceUseCases(tx, connectors, box),
        scans=scans,
        objects=ObjectUseCases(tx, layers=settings.layers),
        structure=StructureUseCases(tx),
        lineage=LineageUseCases(tx),
        deprecations=deprecations,
        semantics=semantics,
        completeness=completeness_servicer,
    )

    async def keep_completeness(session: AsyncSession, envelope: events_pb2.EventEnvelope) -> None:
        # In the consumer's transaction, which also marks the event processed.
        changes = completeness_mappers.changes(envelope)
        if changes:
            await completeness.apply(CatalogUnitOfWork(session, base.outbox), changes)

    completeness_consumer = IdempotentConsumer(
        base.bus,
        base.db,
        processed_events,
        durable=COMPLETENESS_CONSUMER,
        event_type="datacompass.>",
        handler=keep_completeness,
    )

    def register(server: grpc.aio.Server) -> None:
        catalog_pb2_grpc.add_CatalogServiceServicer_to_server(servicer, server)
        semantics_pb2_grpc.add_SemanticsServiceServicer_to_server(semantics, server)
        completeness_pb2_grpc.add_CompletenessServiceServicer_to_server(
            completeness_servicer, server
        )

    async def close() -> None:
        await scans.drain(settings.shutdown_grace_seconds)
        if quality is not None:
            await quality.close()

    app = grpc_app(
        base,
        [SERVICE_NAME, SEMANTICS_SERVICE_NAME, COMPLETENESS_SERVICE_NAME],
        register,
        workers=[scans.keep_leases, deprecations.run, completeness_consumer.run],
        on_shutdown=[close],
    )
    return CatalogService(
        settings,
        base.db,
        base.bus,
        base.relay,
        tx,
        scans,
        leases,
        app,
        deprecations,
        completeness,
        completeness_consumer,
    )


async def start(service: CatalogService) -> None:
    """Everything before serving: schema up to date, stale scans failed, NATS connecting."""
    await migrate(service.settings)
    await service.scans.recover()
    if service.completeness is not None:
        await service.completeness.backfill()
    await service.bus.connect()


def running(
    settings: CatalogSettings, *, clock: Clock | None = None
) -> AbstractAsyncContextManager[CatalogService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings, clock=clock), start)

"""Wiring: builds the catalog service from its settings (used by __main__ and by tests)."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import grpc

from catalog_service.api.mappers import deadline_approaching, scan_finished
from catalog_service.api.servicer import CatalogServicer
from catalog_service.application.deprecations import DeprecationUseCases
from catalog_service.application.objects import ObjectUseCases
from catalog_service.application.scans import ScanUseCases
from catalog_service.application.sources import SourceUseCases
from catalog_service.application.structure import StructureUseCases
from catalog_service.config import CatalogSettings
from catalog_service.db.tables import SCHEMA, outbox
from datacompass.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from dcconnectors.registry import metadata_reader
from dckit.bus import EventBus
from dckit.crypto import SecretBox
from dckit.db import Database
from dckit.grpc_server import GrpcApp
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process

SERVICE = "catalog"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name


@dataclass
class CatalogService:
    settings: CatalogSettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    scans: ScanUseCases
    grpc: GrpcApp
    deprecations: DeprecationUseCases


async def migrate(settings: CatalogSettings) -> None:
    await upgrade_async(MIGRATIONS, settings.database_url.get_secret_value(), SCHEMA)


def build(settings: CatalogSettings) -> CatalogService:
    base = foundation(settings, SERVICE, outbox)
    db, bus, relay = base.db, base.bus, base.relay
    box = SecretBox(settings.encryption_key.get_secret_value())
    events = base.outbox
    scans = ScanUseCases(
        db,
        events,
        box,
        metadata_reader,
        event_for=scan_finished,
        scan_timeout=settings.scan_timeout_seconds,
        statement_timeout_ms=settings.source_statement_timeout_ms,
        max_concurrent=settings.max_concurrent_scans,
        parallelism=settings.scan_parallelism,
        worker=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
        lease_seconds=settings.scan_lease_seconds,
        stale_seconds=settings.scan_stale_seconds,
        on_commit=relay.wake,
    )
    deprecations = DeprecationUseCases(
        db, events, event_for=deadline_approaching, on_commit=relay.wake
    )
    servicer = CatalogServicer(
        SourceUseCases(db, events, box),
        scans,
        ObjectUseCases(db, events),
        StructureUseCases(db, events),
        deprecations,
    )

    def register(server: grpc.aio.Server) -> None:
        catalog_pb2_grpc.add_CatalogServiceServicer_to_server(servicer, server)

    async def close() -> None:
        await scans.drain(settings.shutdown_grace_seconds)

    app = grpc_app(
        base,
        SERVICE_NAME,
        register,
        workers=[scans.keep_leases, deprecations.run],
        on_shutdown=[close],
    )
    return CatalogService(settings, db, bus, relay, scans, app, deprecations)


async def start(service: CatalogService) -> None:
    """Everything before serving: schema up to date, stale scans failed, NATS connecting."""
    await migrate(service.settings)
    await service.scans.recover()
    await service.bus.connect()


def running(settings: CatalogSettings) -> AbstractAsyncContextManager[CatalogService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings), start)

"""Wiring: builds the governance service from its settings (used by __main__ and by tests)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import grpc

from datacompass.governance.v1 import governance_pb2, governance_pb2_grpc
from dckit.bus import EventBus
from dckit.consumer import IdempotentConsumer
from dckit.db import Database
from dckit.events import AUDIT_RECORDED
from dckit.grpc_server import GrpcApp
from dckit.migrations import upgrade_async
from dckit.outbox import Outbox
from dckit.relay import OutboxRelay
from dckit.service import in_process
from governance_service.api.servicer import GovernanceServicer
from governance_service.application.audit import AuditTrail
from governance_service.application.identity import IdentityUseCases
from governance_service.config import GovernanceSettings
from governance_service.db.tables import SCHEMA, outbox, processed_events
from governance_service.domain.credentials import TokenSigner

SERVICE = "governance"
AUDIT_CONSUMER = "governance-audit"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = governance_pb2.DESCRIPTOR.services_by_name["GovernanceService"].full_name


@dataclass
class GovernanceService:
    settings: GovernanceSettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    audit_consumer: IdempotentConsumer
    grpc: GrpcApp


async def migrate(settings: GovernanceSettings) -> None:
    await upgrade_async(MIGRATIONS, settings.database_url.get_secret_value(), SCHEMA)


def build(settings: GovernanceSettings) -> GovernanceService:
    db = Database(settings.database_url.get_secret_value(), pool_size=settings.db_pool_size)
    bus = EventBus(
        settings.nats_url,
        settings.nats_stream,
        settings.event_subject_prefix,
        SERVICE,
        replicas=settings.nats_stream_replicas,
    )
    relay = OutboxRelay(db, outbox, bus, SERVICE)
    signer = TokenSigner(
        settings.jwt_secret.get_secret_value(),
        settings.access_token_seconds,
        settings.refresh_token_seconds,
    )
    audit = AuditTrail(db)
    # Every service's audit records, governance's own included (they go through our outbox).
    consumer = IdempotentConsumer(
        bus,
        db,
        processed_events,
        durable=AUDIT_CONSUMER,
        event_type=AUDIT_RECORDED,
        handler=audit.store,
    )
    servicer = GovernanceServicer(IdentityUseCases(db, Outbox(outbox, SERVICE), signer), audit)

    def register(server: grpc.aio.Server) -> None:
        governance_pb2_grpc.add_GovernanceServiceServicer_to_server(servicer, server)

    async def close() -> None:
        await bus.close()
        await db.dispose()

    app = GrpcApp(
        SERVICE,
        host=settings.grpc_host,
        port=settings.grpc_port,
        service_names=[SERVICE_NAME],
        register=register,
        workers=[relay.run, consumer.run],
        readiness=db.ping,
        on_shutdown=[close],
        grace_seconds=settings.shutdown_grace_seconds,
        internal_token=settings.internal_token.get_secret_value(),
    )
    return GovernanceService(settings, db, bus, relay, consumer, app)


async def start(service: GovernanceService) -> None:
    """Everything before serving: schema up to date, NATS connecting."""
    await migrate(service.settings)
    await service.bus.connect()


def running(settings: GovernanceSettings) -> AbstractAsyncContextManager[GovernanceService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings), start)

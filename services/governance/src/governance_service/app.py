"""Wiring: builds the governance service from its settings (used by __main__ and by tests)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import grpc
from sqlalchemy.ext.asyncio import AsyncSession

from datacompass.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from datacompass.common.v1 import events_pb2
from datacompass.governance.v1 import governance_pb2, governance_pb2_grpc
from dckit.bus import EventBus
from dckit.consumer import IdempotentConsumer
from dckit.db import Database
from dckit.events import AUDIT_RECORDED
from dckit.grpc_client import channel
from dckit.grpc_server import GrpcApp
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process
from governance_service.adapters.catalog_grpc import GrpcCatalog
from governance_service.api.classification_mappers import classification
from governance_service.api.masking_mappers import changed as masking_rule_changed
from governance_service.api.ownership_mappers import EVENTS as OWNERSHIP_EVENTS
from governance_service.api.policy_mappers import changed as policy_changed
from governance_service.api.servicer import GovernanceServicer
from governance_service.application.audit import AuditTrail
from governance_service.application.classification import ClassificationUseCases
from governance_service.application.identity import IdentityUseCases
from governance_service.application.masking_rules import MaskingRuleUseCases
from governance_service.application.ownership import OwnershipUseCases
from governance_service.application.policies import PolicyUseCases
from governance_service.config import GovernanceSettings
from governance_service.db.tables import SCHEMA, outbox, processed_events
from governance_service.domain.credentials import TokenSigner
from governance_service.domain.masking import Masker, MaskingKeys

SERVICE = "governance"
AUDIT_CONSUMER = "governance-audit"
SCAN_CONSUMER = "governance-classify-scans"
SCAN_COMPLETED = "datacompass.catalog.scan.completed"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = governance_pb2.DESCRIPTOR.services_by_name["GovernanceService"].full_name


@dataclass
class GovernanceService:
    settings: GovernanceSettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    audit_consumer: IdempotentConsumer
    scan_consumer: IdempotentConsumer
    classification: ClassificationUseCases
    grpc: GrpcApp


async def migrate(settings: GovernanceSettings) -> None:
    await upgrade_async(MIGRATIONS, settings.database_url.get_secret_value(), SCHEMA)


def build(settings: GovernanceSettings) -> GovernanceService:
    base = foundation(settings, SERVICE, outbox)
    db, bus, relay = base.db, base.bus, base.relay
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
    catalog_channel = channel(settings.catalog_addr, default_timeout=settings.rpc_timeout_seconds)
    catalog = GrpcCatalog(catalog_pb2_grpc.CatalogServiceStub(catalog_channel))
    classes = ClassificationUseCases(db, base.outbox, catalog, classification)

    async def classify_scanned(session: AsyncSession, envelope: events_pb2.EventEnvelope) -> None:
        # Rules run in their own transactions (they call the catalog); applying is idempotent, so
        # a redelivery after a failure just applies again.
        del session
        finished = catalog_pb2.ScanFinished()
        envelope.data.Unpack(finished)
        report = await classes.apply(finished.scan.source_name)
        if report.classified or report.errors:
            relay.wake()

    scan_consumer = IdempotentConsumer(
        bus,
        db,
        processed_events,
        durable=SCAN_CONSUMER,
        event_type=SCAN_COMPLETED,
        handler=classify_scanned,
    )
    owners = OwnershipUseCases(db, base.outbox, catalog, OWNERSHIP_EVENTS)
    policies = PolicyUseCases(db, base.outbox, catalog, policy_changed)
    masker = Masker(MaskingKeys.derive(settings.masking_key.get_secret_value()))
    masking = MaskingRuleUseCases(db, base.outbox, catalog, masker, masking_rule_changed)
    servicer = GovernanceServicer(
        IdentityUseCases(db, base.outbox, signer), audit, classes, owners, policies, masking
    )

    def register(server: grpc.aio.Server) -> None:
        governance_pb2_grpc.add_GovernanceServiceServicer_to_server(servicer, server)

    app = grpc_app(base, SERVICE_NAME, register, workers=[consumer.run, scan_consumer.run])
    return GovernanceService(settings, db, bus, relay, consumer, scan_consumer, classes, app)


async def start(service: GovernanceService) -> None:
    """Everything before serving: schema up to date, NATS connecting."""
    await migrate(service.settings)
    await service.bus.connect()


def running(settings: GovernanceSettings) -> AbstractAsyncContextManager[GovernanceService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings), start)

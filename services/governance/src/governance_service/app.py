"""Wiring: builds the governance service from its settings (used by __main__ and by tests).
The only module that sees both the use cases and their implementations (db, adapters, api)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import grpc
from sqlalchemy.ext.asyncio import AsyncSession

from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import events_pb2
from datacompass.governance.v1 import governance_pb2, governance_pb2_grpc
from dckit import event_catalogue
from dckit.bus import EventBus
from dckit.consumer import IdempotentConsumer
from dckit.db import Database
from dckit.grpc_client import channel
from dckit.grpc_server import GrpcApp
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process
from dckit.uow import Transactions
from governance_service.adapters.catalog_grpc import GrpcCatalog
from governance_service.api import (
    audit_mappers,
    classification_mappers,
    masking_mappers,
    ownership_mappers,
    policies_mappers,
)
from governance_service.api.servicer import GovernanceServicer
from governance_service.application.audit import AuditTrail
from governance_service.application.classification import ClassificationUseCases
from governance_service.application.identity import IdentityUseCases
from governance_service.application.masking import MaskingUseCases
from governance_service.application.ownership import OwnershipUseCases
from governance_service.application.policies import PolicyUseCases
from governance_service.application.ports import EventPayloads
from governance_service.config import GovernanceSettings
from governance_service.db.tables import SCHEMA, outbox, processed_events
from governance_service.db.unit_of_work import GovernanceUnitOfWork
from governance_service.domain.identity import TokenSigner
from governance_service.domain.masking import Masker, MaskingKeys

SERVICE = "governance"
AUDIT_CONSUMER = "governance-audit"
SCAN_CONSUMER = "governance-classify-scans"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = governance_pb2.DESCRIPTOR.services_by_name["GovernanceService"].full_name

PAYLOADS = EventPayloads(
    classification=classification_mappers.classification,
    ownership=ownership_mappers.ownership,
    domain=ownership_mappers.domain,
    domain_object=ownership_mappers.domain_object,
    policy_changed=policies_mappers.policy_changed,
    masking_rule_changed=masking_mappers.masking_rule_changed,
)


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
    tx = Transactions(db, base.outbox, GovernanceUnitOfWork)
    signer = TokenSigner(
        settings.jwt_secret.get_secret_value(),
        settings.access_token_seconds,
        settings.refresh_token_seconds,
    )
    catalog_channel = channel(settings.catalog_addr, default_timeout=settings.rpc_timeout_seconds)
    catalog = GrpcCatalog(
        catalog_pb2_grpc.CatalogServiceStub(catalog_channel),
        cache_seconds=settings.catalog_cache_seconds,
    )
    masker = Masker(MaskingKeys.derive(settings.masking_key.get_secret_value()))

    audit = AuditTrail(tx)
    classes = ClassificationUseCases(tx, catalog, PAYLOADS)
    servicer = GovernanceServicer(
        IdentityUseCases(tx, signer),
        audit,
        classes,
        OwnershipUseCases(tx, catalog, PAYLOADS),
        PolicyUseCases(tx, catalog, PAYLOADS),
        MaskingUseCases(tx, catalog, masker, PAYLOADS),
    )

    async def store_audit(session: AsyncSession, envelope: events_pb2.EventEnvelope) -> None:
        # In the consumer's transaction, which also marks the event processed.
        uow = GovernanceUnitOfWork(session, base.outbox)
        entry = audit_mappers.entry(envelope)
        await audit.store(uow, entry)
        if entry.service == "catalog" and entry.entity_type == "object" and entry.entity_urn:
            catalog.forget(entry.entity_urn)  # its tags or columns may have changed

    async def classify_scanned(session: AsyncSession, envelope: events_pb2.EventEnvelope) -> None:
        # Rules run in their own transactions (they call the catalog); applying is idempotent, so
        # a redelivery after a failure just applies again.
        del session
        catalog.forget()  # the scan may have changed any of its objects
        report = await classes.apply(classification_mappers.scanned_source(envelope))
        if report.classified or report.errors:
            relay.wake()

    # Every service's audit records, governance's own included (they go through our outbox).
    audit_consumer = IdempotentConsumer(
        bus,
        db,
        processed_events,
        durable=AUDIT_CONSUMER,
        event_type=event_catalogue.AUDIT_RECORDED.name,
        handler=store_audit,
    )
    scan_consumer = IdempotentConsumer(
        bus,
        db,
        processed_events,
        durable=SCAN_CONSUMER,
        event_type=event_catalogue.SCAN_COMPLETED.name,
        handler=classify_scanned,
    )

    def register(server: grpc.aio.Server) -> None:
        governance_pb2_grpc.add_GovernanceServiceServicer_to_server(servicer, server)

    workers = [audit_consumer.run, scan_consumer.run]
    app = grpc_app(base, SERVICE_NAME, register, workers=workers)
    return GovernanceService(settings, db, bus, relay, audit_consumer, scan_consumer, classes, app)


async def start(service: GovernanceService) -> None:
    """Everything before serving: schema up to date, NATS connecting."""
    await migrate(service.settings)
    await service.bus.connect()


def running(settings: GovernanceSettings) -> AbstractAsyncContextManager[GovernanceService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings), start)

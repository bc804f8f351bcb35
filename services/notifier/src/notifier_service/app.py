"""Wiring: builds the notifier service from its settings (used by __main__ and by tests)."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import grpc
from sqlalchemy.ext.asyncio import AsyncSession

from datacompass.common.v1.events_pb2 import EventEnvelope
from datacompass.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from dckit.bus import EventBus
from dckit.clock import utc_now
from dckit.consumer import IdempotentConsumer
from dckit.crypto import SecretBox
from dckit.db import Database
from dckit.grpc_server import GrpcApp
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process
from dckit.uow import Transactions
from notifier_service.adapters.channels import ChannelTypes
from notifier_service.adapters.channels.base import Env
from notifier_service.adapters.channels.http import Http
from notifier_service.adapters.channels.targets import TargetGuard
from notifier_service.api.notices_mappers import NOTICES
from notifier_service.api.servicer import NotifierServicer
from notifier_service.application.channels import ChannelUseCases
from notifier_service.application.deliveries import DeliveryLog, Sender, SendPolicy
from notifier_service.application.notices import Planner
from notifier_service.application.rules import RuleUseCases
from notifier_service.config import NotifierSettings
from notifier_service.db.tables import SCHEMA, outbox, processed_events
from notifier_service.db.unit_of_work import NotifierUnitOfWork
from notifier_service.telemetry import DeliveryMetrics

SERVICE = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = notifier_pb2.DESCRIPTOR.services_by_name["NotifierService"].full_name


@dataclass
class NotifierService:
    settings: NotifierSettings
    db: Database
    bus: EventBus
    relay: OutboxRelay
    consumers: list[IdempotentConsumer]
    sender: Sender
    grpc: GrpcApp


async def migrate(settings: NotifierSettings) -> None:
    await upgrade_async(MIGRATIONS, settings.database_url.get_secret_value(), SCHEMA)


def consumer_name(event_type: str) -> str:
    """Durable consumer per event type: notifier-quality-breach-detected, ..."""
    return "notifier-" + event_type.removeprefix("datacompass.").replace(".", "-")


def build(settings: NotifierSettings) -> NotifierService:
    base = foundation(settings, SERVICE, outbox)
    tx = Transactions(base.db, base.outbox, NotifierUnitOfWork)
    guard = TargetGuard(
        allow_loopback=settings.allow_loopback_targets,
        allowed=settings.allowed_private_targets,
    )
    http = Http(settings.send_timeout_seconds, guard)
    wake = asyncio.Event()  # the planner nudges the sender
    channels = ChannelUseCases(
        tx,
        ChannelTypes(Env(http, settings, guard)),
        SecretBox(settings.encryption_key.get_secret_value()),
        public_url=settings.public_url,
        clock=utc_now,
    )
    rules = RuleUseCases(tx, NOTICES.subscriptions)
    planner = Planner(wake, utc_now)

    async def on_event(session: AsyncSession, envelope: EventEnvelope) -> None:
        # The consumer's transaction: the event id and its deliveries commit together.
        uow = NotifierUnitOfWork(session, base.outbox)
        await planner.plan(uow, NOTICES.received(envelope, settings.public_url))

    consumers = [
        IdempotentConsumer(
            base.bus,
            base.db,
            processed_events,
            durable=consumer_name(s.event.name),
            event_type=s.event.name,
            handler=on_event,
        )
        for s in NOTICES.subscriptions
    ]
    policy = SendPolicy(
        max_attempts=settings.max_attempts,
        retry_base_seconds=settings.retry_base_seconds,
        retry_max_seconds=settings.retry_max_seconds,
        lease_seconds=settings.lease_seconds,
        resend_unknown_outcome=settings.resend_unknown_outcome,
        poll_seconds=settings.poll_seconds,
        batch=settings.sender_batch,
        concurrency=settings.sender_concurrency,
    )
    sender = Sender(tx, channels, DeliveryMetrics(), policy, wake, utc_now)
    servicer = NotifierServicer(channels, rules, DeliveryLog(tx))

    def register(server: grpc.aio.Server) -> None:
        notifier_pb2_grpc.add_NotifierServiceServicer_to_server(servicer, server)

    app = grpc_app(
        base,
        SERVICE_NAME,
        register,
        workers=[sender.run, *(c.run for c in consumers)],
        on_shutdown=[http.close],
    )
    return NotifierService(settings, base.db, base.bus, base.relay, consumers, sender, app)


async def start(service: NotifierService) -> None:
    """Everything before serving: schema up to date, NATS connecting."""
    await migrate(service.settings)
    await service.bus.connect()


def running(settings: NotifierSettings) -> AbstractAsyncContextManager[NotifierService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings), start)

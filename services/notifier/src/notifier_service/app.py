"""Wiring: builds the notifier service from its settings (used by __main__ and by tests)."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import grpc

from datacompass.notifier.v1 import notifier_pb2, notifier_pb2_grpc
from dckit.bus import EventBus
from dckit.consumer import IdempotentConsumer
from dckit.crypto import SecretBox
from dckit.db import Database
from dckit.grpc_server import GrpcApp
from dckit.migrations import upgrade_async
from dckit.relay import OutboxRelay
from dckit.service import foundation, grpc_app, in_process
from notifier_service.adapters.events import DECODERS
from notifier_service.adapters.senders import Senders
from notifier_service.api.servicer import NotifierServicer
from notifier_service.application.channels import ChannelUseCases
from notifier_service.application.planner import Planner
from notifier_service.application.rules import RuleUseCases
from notifier_service.application.sender import Sender
from notifier_service.config import NotifierSettings
from notifier_service.db.tables import SCHEMA, outbox, processed_events

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
    db, bus, relay = base.db, base.bus, base.relay
    box = SecretBox(settings.encryption_key.get_secret_value())
    senders = Senders(settings.send_timeout_seconds)
    wake = asyncio.Event()
    channels = ChannelUseCases(
        db, base.outbox, box, senders, settings.slack_allowed_hosts,
        settings.public_url,
    )  # fmt: skip
    rules = RuleUseCases(db, base.outbox)
    planner = Planner(settings.public_url, wake)
    consumers = [
        IdempotentConsumer(
            bus,
            db,
            processed_events,
            durable=consumer_name(t),
            event_type=t,
            handler=planner.handle,
        )
        for t in DECODERS
    ]
    sender = Sender(db, senders, channels, settings, wake)
    servicer = NotifierServicer(channels, rules)

    def register(server: grpc.aio.Server) -> None:
        notifier_pb2_grpc.add_NotifierServiceServicer_to_server(servicer, server)

    async def close() -> None:
        await senders.close()

    app = grpc_app(
        base,
        SERVICE_NAME,
        register,
        workers=[sender.run, *(c.run for c in consumers)],
        on_shutdown=[close],
    )
    return NotifierService(settings, db, bus, relay, consumers, sender, app)


async def start(service: NotifierService) -> None:
    """Everything before serving: schema up to date, NATS connecting."""
    await migrate(service.settings)
    await service.bus.connect()


def running(settings: NotifierSettings) -> AbstractAsyncContextManager[NotifierService]:
    """The whole service in this process (gRPC server, workers) until the block exits."""
    return in_process(build(settings), start)

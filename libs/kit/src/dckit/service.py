"""What every backend service does the same way: its database/bus/outbox foundation and gRPC
server, its `python -m <name>_service serve|migrate` entry point, and running the whole
service in this process (tests, benchmarks)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

import grpc
from sqlalchemy import Table

from dckit import logging as dclogging
from dckit.bus import EventBus
from dckit.consumer import PROCESSED_EVENTS
from dckit.db import Database
from dckit.grpc_server import GrpcApp, Worker
from dckit.outbox import Outbox, dead_letter_for
from dckit.relay import OutboxRelay
from dckit.retention import Pruner, Retention
from dckit.settings import BackendSettings
from dckit.telemetry import setup_tracing, start_metrics_server


class Service(Protocol):
    @property
    def grpc(self) -> GrpcApp: ...


S = TypeVar("S", bound=BackendSettings)
T = TypeVar("T", bound=Service)


def main(
    name: str,
    settings_type: type[S],
    build: Callable[[S], T],
    start: Callable[[T], Awaitable[None]],
    migrate: Callable[[S], Coroutine[Any, Any, None]],
) -> None:
    """`serve` (default): migrate, start, expose metrics, serve until SIGTERM. `migrate`: apply
    the schema migrations and exit (the Kubernetes migration Job)."""
    parser = argparse.ArgumentParser(prog=f"{name}_service")
    parser.add_argument("command", choices=["serve", "migrate"], nargs="?", default="serve")
    args = parser.parse_args()
    settings = settings_type.from_env()
    dclogging.configure(name, settings.log_level)
    if args.command == "migrate":
        asyncio.run(migrate(settings))
        logging.getLogger(f"{name}_service").info("%s migrations applied", name)
        return
    setup_tracing(name, settings.otlp_endpoint)

    async def serve() -> None:
        service = build(settings)
        await start(service)
        start_metrics_server(settings.metrics_port, settings.grpc_host)
        await service.grpc.serve()

    asyncio.run(serve())


@asynccontextmanager
async def in_process(service: T, start: Callable[[T], Awaitable[None]]) -> AsyncIterator[T]:
    """The whole service in this process (gRPC server and workers) until the block exits."""
    await start(service)
    await service.grpc.start()
    workers = [asyncio.create_task(w(service.grpc.stop)) for w in service.grpc.workers]
    try:
        yield service
    finally:
        await service.grpc.shutdown(workers)


@dataclass
class Foundation:
    """The parts every backend builds the same way from its settings: its database, its event
    bus, the outbox its use cases write to and the relay that publishes it."""

    settings: BackendSettings
    name: str
    db: Database
    bus: EventBus
    outbox: Outbox
    relay: OutboxRelay
    pruner: Pruner


def foundation(settings: BackendSettings, name: str, outbox_table: Table) -> Foundation:
    db = Database(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        statement_timeout=settings.db_statement_timeout_seconds,
    )
    bus = EventBus(
        settings.nats_url,
        settings.nats_stream,
        settings.event_subject_prefix,
        name,
        replicas=settings.nats_stream_replicas,
        max_age_seconds=settings.nats_stream_max_age_days * 86400,
        max_bytes=settings.nats_stream_max_bytes,
    )
    relay = OutboxRelay(db, outbox_table, bus, name)
    outbox = Outbox(outbox_table, name, max_event_bytes=settings.event_max_bytes)
    pruner = Pruner(
        db,
        name,
        retention_rules(settings, outbox_table),
        interval_seconds=settings.retention_interval_seconds,
    )
    return Foundation(settings, name, db, bus, outbox, relay, pruner)


def retention_rules(settings: BackendSettings, outbox_table: Table) -> list[Retention]:
    """Published outbox rows, dead letters and (where the service consumes) processed-event
    rows, each with its retention setting."""
    days = timedelta(days=1)
    dead = dead_letter_for(outbox_table)
    rules = [
        Retention(outbox_table, outbox_table.c.published_at, days * settings.outbox_retention_days),
        Retention(dead, dead.c.dead_lettered_at, days * settings.dead_letter_retention_days),
    ]
    processed = next(
        (t for t in outbox_table.metadata.tables.values() if t.name == PROCESSED_EVENTS), None
    )
    if processed is not None:
        keep = days * settings.processed_event_retention_days
        rules.append(Retention(processed, processed.c.processed_at, keep))
    return rules


def grpc_app(
    base: Foundation,
    service_name: str | Sequence[str],
    register: Callable[[grpc.aio.Server], None],
    *,
    workers: Sequence[Worker] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
) -> GrpcApp:
    """The service's gRPC server: health/readiness on its database, the relay and `workers`
    running beside it; on shutdown `on_shutdown` first, then the bus and the database.
    `service_name`: the full name of each proto service `register` adds (a process may serve
    several, as quality serves its two subsystems): health and reflection report each."""

    async def close() -> None:
        for step in on_shutdown:
            await step()
        await base.bus.close()
        await base.db.dispose()

    s = base.settings
    return GrpcApp(
        base.name,
        host=s.grpc_host,
        port=s.grpc_port,
        service_names=[service_name] if isinstance(service_name, str) else list(service_name),
        register=register,
        workers=[base.relay.run, base.pruner.run, *workers],
        readiness=base.db.ping,
        on_shutdown=[close],
        grace_seconds=s.shutdown_grace_seconds,
        internal_token=s.internal_token.get_secret_value(),
    )

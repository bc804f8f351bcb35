"""What every backend service does the same way: its `python -m <name>_service serve|migrate`
entry point, and running the whole service in this process (tests, benchmarks)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from dckit import logging as dclogging
from dckit.grpc_server import GrpcApp
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

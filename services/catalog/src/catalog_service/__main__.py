"""`python -m catalog_service serve|migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging

from catalog_service.app import build, migrate, start
from catalog_service.config import CatalogSettings
from dckit import logging as dclogging
from dckit.telemetry import setup_tracing, start_metrics_server

log = logging.getLogger("catalog_service")


async def serve(settings: CatalogSettings) -> None:
    service = build(settings)
    await start(service)
    start_metrics_server(settings.metrics_port, settings.grpc_host)
    await service.grpc.serve()


def main() -> None:
    parser = argparse.ArgumentParser(prog="catalog_service")
    parser.add_argument("command", choices=["serve", "migrate"], nargs="?", default="serve")
    args = parser.parse_args()
    settings = CatalogSettings.from_env()
    dclogging.configure("catalog", settings.log_level)
    if args.command == "migrate":
        asyncio.run(migrate(settings))
        log.info("catalog migrations applied")
        return
    setup_tracing("catalog", settings.otlp_endpoint)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()

"""`python -m quality_service serve|migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging

from dckit import logging as dclogging
from dckit.telemetry import setup_tracing, start_metrics_server
from quality_service.app import build, migrate, start
from quality_service.config import QualitySettings

log = logging.getLogger("quality_service")


async def serve(settings: QualitySettings) -> None:
    service = build(settings)
    await start(service)
    start_metrics_server(settings.metrics_port, settings.grpc_host)
    await service.grpc.serve()


def main() -> None:
    parser = argparse.ArgumentParser(prog="quality_service")
    parser.add_argument("command", choices=["serve", "migrate"], nargs="?", default="serve")
    args = parser.parse_args()
    settings = QualitySettings.from_env()
    dclogging.configure("quality", settings.log_level)
    if args.command == "migrate":
        asyncio.run(migrate(settings))
        log.info("quality migrations applied")
        return
    setup_tracing("quality", settings.otlp_endpoint)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()

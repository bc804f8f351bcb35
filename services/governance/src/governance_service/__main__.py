"""`python -m governance_service serve|migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging

from dckit import logging as dclogging
from dckit.telemetry import setup_tracing, start_metrics_server
from governance_service.app import build, migrate, start
from governance_service.config import GovernanceSettings

log = logging.getLogger("governance_service")


async def serve(settings: GovernanceSettings) -> None:
    service = build(settings)
    await start(service)
    start_metrics_server(settings.metrics_port, settings.grpc_host)
    await service.grpc.serve()


def main() -> None:
    parser = argparse.ArgumentParser(prog="governance_service")
    parser.add_argument("command", choices=["serve", "migrate"], nargs="?", default="serve")
    args = parser.parse_args()
    settings = GovernanceSettings.from_env()
    dclogging.configure("governance", settings.log_level)
    if args.command == "migrate":
        asyncio.run(migrate(settings))
        log.info("governance migrations applied")
        return
    setup_tracing("governance", settings.otlp_endpoint)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()

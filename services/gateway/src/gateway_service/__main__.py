"""`python -m gateway_service`: serve the REST gateway with uvicorn."""

from __future__ import annotations

import uvicorn

from dckit.logging import configure
from dckit.telemetry import setup_tracing
from gateway_service.app import SERVICE, create_app
from gateway_service.config import GatewaySettings


def main() -> None:
    settings = GatewaySettings.from_env()
    configure(SERVICE, settings.log_level)
    setup_tracing(SERVICE, settings.otlp_endpoint)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep dckit's JSON handler
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )


if __name__ == "__main__":
    main()

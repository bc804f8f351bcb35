"""`python -m gateway_service`: serve the REST gateway with uvicorn."""

from __future__ import annotations

from typing import Any

import uvicorn

from dckit.logging import configure
from dckit.telemetry import setup_tracing
from gateway_service.app import SERVICE, create_app
from gateway_service.config import GatewaySettings


def server_options(settings: GatewaySettings) -> dict[str, Any]:
    """uvicorn options (shared with the tests that check the proxy handling)."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,  # keep dckit's JSON handler
        "access_log": False,
        # X-Forwarded-For/-Proto are honoured from the trusted proxies only (never from a
        # client talking to the gateway directly), so audit records carry the real client IP.
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "timeout_graceful_shutdown": int(settings.shutdown_grace_seconds),
    }


def main() -> None:
    settings = GatewaySettings.from_env()
    configure(SERVICE, settings.log_level)
    setup_tracing(SERVICE, settings.otlp_endpoint)
    uvicorn.run(create_app(settings), **server_options(settings))


if __name__ == "__main__":
    main()

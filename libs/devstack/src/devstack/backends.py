"""The gRPC backend services the dev stack runs, in start order. A service joins the stack as
soon as its package is installed: `python -m <package> migrate|serve`, settings from
`DATACOMPASS_<NAME>_*`, and the gateway (or another backend) finds it at
`DATACOMPASS_<CALLER>_<NAME>_ADDR`."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Backend:
    name: str
    package: str
    default_grpc_port: int
    default_metrics_port: int

    @property
    def env_prefix(self) -> str:
        return f"DATACOMPASS_{self.name.upper()}_"

    @property
    def grpc_port_env(self) -> str:
        return f"{self.env_prefix}GRPC_PORT"

    @property
    def metrics_port_env(self) -> str:
        return f"{self.env_prefix}METRICS_PORT"

    def addr_env(self, caller: str) -> str:
        """Where `caller` (gateway or another backend) reads this backend's address."""
        return f"DATACOMPASS_{caller.upper()}_{self.name.upper()}_ADDR"

    def installed(self) -> bool:
        return importlib.util.find_spec(self.package) is not None

    def ports(self) -> tuple[int, int]:
        """(gRPC, metrics) ports from the environment or the defaults."""
        return (
            _port(self.grpc_port_env, self.default_grpc_port),
            _port(self.metrics_port_env, self.default_metrics_port),
        )


BACKENDS = (
    Backend("catalog", "catalog_service", 50051, 9101),
    Backend("quality", "quality_service", 50052, 9102),
    Backend("governance", "governance_service", 50053, 9103),
    Backend("notifier", "notifier_service", 50054, 9104),
    Backend("scheduler", "scheduler_service", 50055, 9105),
)


def installed_backends() -> list[Backend]:
    return [backend for backend in BACKENDS if backend.installed()]


class PortSettingError(ValueError):
    pass


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise PortSettingError(f"{name}={raw!r} is not a port number") from exc

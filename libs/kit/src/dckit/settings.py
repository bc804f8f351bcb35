"""Typed settings. Each service subclasses `ServiceSettings` with its own env prefix
(`DATACOMPASS_<SERVICE>_`); the shared connection settings also accept the unprefixed
`DATACOMPASS_DATABASE_URL` / `DATACOMPASS_NATS_URL`. Settings are built in the entrypoint,
never at import time."""

from __future__ import annotations

import os
from typing import Any, Self

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Settings every service shares; each may be given once, unprefixed, for the whole stack.
SHARED_NAMES = (
    "database_url",
    "nats_url",
    "nats_stream",
    "nats_stream_replicas",
    "event_subject_prefix",
    "log_level",
    "otlp_endpoint",
)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: SecretStr = Field(
        default=SecretStr("postgresql://postgres@127.0.0.1:5432/datacompass")
    )
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "DATACOMPASS"
    nats_stream_replicas: int = 1  # 3 on a clustered NATS (production)
    # Subject prefix for every event; tests sharing a NATS server use their own.
    event_subject_prefix: str = "datacompass"
    log_level: str = "INFO"
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    metrics_port: int = 0  # 0 = no separate metrics endpoint
    otlp_endpoint: str = ""  # OTEL exporter endpoint; empty = tracing without export
    db_pool_size: int = 10
    shutdown_grace_seconds: float = 10.0

    @classmethod
    def from_env(cls, **overrides: Any) -> Self:
        """Build from the environment: DATACOMPASS_<SERVICE>_<NAME> wins over DATACOMPASS_<NAME>."""
        prefix = str(cls.model_config.get("env_prefix", ""))
        init: dict[str, Any] = {}
        for name in SHARED_NAMES:
            own, common = f"{prefix}{name}".upper(), f"DATACOMPASS_{name}".upper()
            if own not in os.environ and common in os.environ:
                init[name] = os.environ[common]
        init.update(overrides)
        return cls(**init)

    @field_validator("database_url", mode="before")
    @classmethod
    def _asyncpg_url(cls, value: object) -> object:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str):
            return SecretStr(to_asyncpg_url(raw))
        return value


def to_libpq_url(url: str) -> str:
    """The plain postgresql:// spelling asyncpg.connect and libpq accept."""
    for scheme in ("postgresql+asyncpg://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme) :]
    return url


def to_asyncpg_url(url: str) -> str:
    """Normalise postgres:// and postgresql:// URLs to SQLAlchemy's asyncpg dialect."""
    for scheme in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+asyncpg://" + url[len(scheme) :]
    return url

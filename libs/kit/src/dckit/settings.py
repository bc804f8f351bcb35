"""Typed settings. Each service subclasses `ServiceSettings` with its own env prefix
(`DATACOMPASS_<SERVICE>_`); the shared connection settings also accept the unprefixed
`DATACOMPASS_DATABASE_URL` / `DATACOMPASS_NATS_URL`. Settings are built in the entrypoint,
never at import time."""

from __future__ import annotations

import os
from typing import Any, Self

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dckit import internal_auth

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
    # Attribute docstrings are the field descriptions: docs/deployment.md's configuration
    # reference is generated from them (scripts/config_reference.py).
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, use_attribute_docstrings=True
    )

    database_url: SecretStr = Field(
        default=SecretStr("postgresql://postgres@127.0.0.1:5432/datacompass")
    )
    """PostgreSQL URL for the service's own schema (contains the password: keep it secret)."""
    nats_url: str = "nats://127.0.0.1:4222"
    """NATS server with JetStream."""
    nats_stream: str = "DATACOMPASS"
    """JetStream stream holding every domain event."""
    nats_stream_replicas: int = 1
    """Replicas of that stream; 3 on a clustered NATS (production)."""
    nats_stream_max_age_days: float = 7.0
    """Events older than this leave the stream (a consumer down longer loses them; the
    outbox and audit trail keep their own copies); 0 = kept forever. Applied when the stream is
    created, and to an existing stream that has no limits at all."""
    nats_stream_max_bytes: int = 0
    """Largest size of the stream (the oldest events leave first beyond it); 0 = no limit. A
    limit reserves that much of the server's JetStream storage when the stream is created, so
    size it to the server (e.g. 10737418240 = 10 GiB on a dedicated cluster)."""
    event_subject_prefix: str = "datacompass"
    """First token of every event subject; tests sharing a NATS server use their own."""
    log_level: str = "INFO"
    """Log level; logs are JSON lines carrying request_id and trace_id."""
    otlp_endpoint: str = ""
    """OTLP/gRPC endpoint for traces (e.g. http://otel-collector:4317); empty = no export."""
    shutdown_grace_seconds: float = 10.0
    """On SIGTERM, how long in-flight calls and workers may take to finish."""
    internal_token: SecretStr = Field(
        default_factory=lambda: SecretStr(internal_auth.internal_token()),
        validation_alias=AliasChoices(internal_auth.ENV, "internal_token"),
    )
    """Credential on every internal gRPC call (same in all processes); unset = in-process only."""

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


class BackendSettings(ServiceSettings):
    """Settings of a gRPC backend service (catalog, quality, ...) on top of the shared ones."""

    grpc_host: str = "127.0.0.1"
    """Address the gRPC server binds (0.0.0.0 in containers)."""
    grpc_port: int = 50051
    """gRPC port."""
    metrics_port: int = 0
    """Prometheus metrics port; 0 = no separate metrics endpoint."""
    db_pool_size: int = 10
    """Database connections per process."""
    db_statement_timeout_seconds: float = 30.0
    """statement_timeout of every database session: a statement running longer is cancelled
    and the call fails with DEADLINE_EXCEEDED (HTTP 504); 0 = no limit."""
    event_max_bytes: int = 1024 * 1024 - 8 * 1024
    """Largest event the outbox accepts (serialized); a change whose event or audit record is
    bigger is refused with 400 naming the field. Keep it under NATS's max_payload (1 MiB)."""
    outbox_retention_days: float = 7.0
    """Published outbox rows are deleted after this many days (unpublished ones never);
    0 = kept forever."""
    dead_letter_retention_days: float = 30.0
    """Dead-lettered outbox rows are deleted after this many days; 0 = kept forever."""
    processed_event_retention_days: float = 8.0
    """Consumers' dedupe rows are deleted after this many days; keep it longer than
    `nats_stream_max_age_days` (an event still in the stream must find its row)."""
    retention_interval_seconds: float = 3600.0
    """How often the retention worker deletes expired rows."""


GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def require_strong_secret(value: SecretStr | None, name: str, min_chars: int) -> None:
    """ValueError (the service refuses to start) for a secret anyone could guess: shorter than
    `min_chars` or of fewer than 8 different characters. None / empty = unset, allowed."""
    raw = value.get_secret_value() if value is not None else ""
    if raw and (len(raw) < min_chars or len(set(raw)) < 8):
        raise ValueError(
            f"{name} is too weak: use at least {min_chars} random characters (e.g. {GENERATE_HINT})"
        )


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

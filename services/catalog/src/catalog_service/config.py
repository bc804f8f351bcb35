"""Catalog service settings (env prefix DATACOMPASS_CATALOG_)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from dckit.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="DATACOMPASS_CATALOG_", extra="ignore", populate_by_name=True
    )

    grpc_port: int = 50051
    metrics_port: int = 9101
    # Fernet key for source credentials at rest; required (no default, never logged).
    encryption_key: SecretStr
    scan_timeout_seconds: float = 600.0
    source_statement_timeout_ms: int = 60_000
    # Concurrent scans per process; more wait for a slot.
    max_concurrent_scans: int = 4

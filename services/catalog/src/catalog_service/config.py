"""Catalog service settings (env prefix DATACOMPASS_CATALOG_)."""

from __future__ import annotations

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from catalog_service.domain.completeness import DEFAULT_WEIGHTS, check_weights
from dckit.errors import InvalidArgument
from dckit.settings import BackendSettings


class CatalogSettings(BackendSettings):
    model_config = SettingsConfigDict(
        env_prefix="DATACOMPASS_CATALOG_", extra="ignore", populate_by_name=True
    )

    grpc_port: int = 50051
    """gRPC port."""
    metrics_port: int = 9101
    """Prometheus metrics port."""
    encryption_key: SecretStr
    """Fernet key encrypting source credentials at rest; required, never logged."""
    scan_timeout_seconds: float = 600.0
    """A metadata scan running longer fails."""
    source_statement_timeout_ms: int = 60_000
    """Statement timeout on connections to data sources."""
    max_concurrent_scans: int = 4
    """Scans running at once per process; more wait for a slot."""
    scan_parallelism: int = 4
    """Connections one scan reads a source with (tables are read in parallel batches)."""
    scan_lease_seconds: float = 10.0
    """How often a process renews the leases of the scans it runs."""
    scan_stale_seconds: float = 60.0
    """A running scan whose lease is this old belongs to a dead process and is failed."""
    quality_addr: str = "127.0.0.1:50052"
    """The quality service (capsule as code reads and writes a capsule's quality rules there);
    empty: capsule files cannot name `quality_rules`."""
    layers: list[str] = ["bronze", "silver", "gold"]
    """The medallion layers a capsule may be put in (lower case), e.g. `["raw", "curated"]`."""
    completeness_weights: dict[str, float] = dict(DEFAULT_WEIGHTS)
    """Weight of each metadata completeness item (`description`, `column_definitions` (the share
    of defined columns), `business_terms`, `owner`, `classification`, `quality_rules`,
    `policies`); an item left out weighs 0. JSON, e.g. `{"description": 2, "owner": 1}`. The
    contract counts once contracts exist. Changed weights rescore every capsule at start-up."""

    @field_validator("completeness_weights")
    @classmethod
    def _known_weights(cls, value: dict[str, float]) -> dict[str, float]:
        try:
            check_weights(value)
        except InvalidArgument as exc:
            raise ValueError(str(exc)) from exc
        return value

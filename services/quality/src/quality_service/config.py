"""Quality service settings (env prefix DATACOMPASS_QUALITY_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from dckit.settings import BackendSettings


class QualitySettings(BackendSettings):
    model_config = SettingsConfigDict(
        env_prefix="DATACOMPASS_QUALITY_", extra="ignore", populate_by_name=True
    )

    grpc_port: int = 50052
    """gRPC port."""
    metrics_port: int = 9102
    """Prometheus metrics port."""
    catalog_addr: str = "127.0.0.1:50051"
    """The catalog service's gRPC address (objects, columns, source connections)."""
    rpc_timeout_seconds: float = 10.0
    """Deadline of calls to the catalog."""
    catalog_cache_seconds: float = 2.0
    """How long an object looked up in the catalog is reused (one capsule read asks for it many
    times); 0 = ask every time. A catalog change shows here at most this much later."""
    statement_timeout_ms: int = 300_000
    """Longest a metric query may run on a source before it is cancelled (and split)."""
    default_parallelism: int = 1
    """Chunks of a run's date range measured at once when the request does not say."""
    max_parallelism: int = 8
    """Upper bound on a run's parallelism (each chunk holds one source connection)."""
    default_queries_per_second: float = 0.0
    """Rate limit on metric queries per run when the request does not set one; 0 = none."""
    run_heartbeat_seconds: float = 5.0
    """How often the process running a DQ run, check run or profile run proves it is alive (and a
    DQ run looks for a cancel request)."""
    run_stale_seconds: float = 60.0
    """A DQ run without a heartbeat for this long is failed (its process died)."""
    governance_addr: str = "127.0.0.1:50053"
    """The governance service's gRPC address (masking rules applied to sample values)."""
    check_sample_limit: int = 10
    """Failing rows kept per check when the request does not say (at most 100)."""
    check_stale_seconds: float = 3600.0
    """A check run without a heartbeat for this long is failed (its process died)."""
    profile_stale_seconds: float = 600.0
    """A profile run without a heartbeat for this long is failed (its process died)."""

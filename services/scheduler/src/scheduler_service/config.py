"""Scheduler service settings (env prefix DATACOMPASS_SCHEDULER_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from dckit.settings import BackendSettings


class SchedulerSettings(BackendSettings):
    model_config = SettingsConfigDict(
        env_prefix="DATACOMPASS_SCHEDULER_", extra="ignore", populate_by_name=True
    )

    grpc_port: int = 50055
    """gRPC port."""
    metrics_port: int = 9105
    """Prometheus metrics port."""
    catalog_addr: str = "127.0.0.1:50051"
    """The catalog service's gRPC address (metadata_scan runs start scans there)."""
    quality_addr: str = "127.0.0.1:50052"
    """The quality service's gRPC address (dq_run runs start DQ runs there)."""
    rpc_timeout_seconds: float = 10.0
    """Deadline of one dispatch call to the owning service."""
    check_timeout_seconds: float = 600.0
    """Deadline of a scheduled quality check (it answers once every rule has run)."""
    poll_interval_seconds: float = 5.0
    """How often every replica looks for due schedules (a run fires at most this late)."""
    claim_batch_size: int = 50
    """Due schedules one replica claims per transaction."""
    retry_backoff_seconds: float = 2.0
    """First delay before retrying a transiently failed dispatch (doubles, with jitter)."""
    retry_backoff_max_seconds: float = 60.0
    """Longest delay between two dispatch attempts."""
    run_heartbeat_seconds: float = 5.0
    """How often a replica renews the lease (heartbeat) of the runs it is dispatching."""
    run_stale_seconds: float = 60.0
    """An unfinished run without a heartbeat for this long is failed (its replica died)."""

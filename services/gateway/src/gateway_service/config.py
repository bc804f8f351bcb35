"""Gateway settings (env prefix DATACOMPASS_GATEWAY_).

`bootstrap_admin_key` is read from the unprefixed `DATACOMPASS_BOOTSTRAP_ADMIN_KEY`; the shared
`DATACOMPASS_DATABASE_URL` / `DATACOMPASS_NATS_URL` are used only by `/health`."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from dckit.settings import ServiceSettings, require_strong_secret

BOOTSTRAP_ADMIN_KEY_ENV = "DATACOMPASS_BOOTSTRAP_ADMIN_KEY"
BOOTSTRAP_KEY_MIN_CHARS = 16


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="DATACOMPASS_GATEWAY_", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    """Address the HTTP server binds (0.0.0.0 in containers)."""
    port: int = 8000
    """HTTP port (REST API, /health, /livez, /metrics, /docs)."""
    forwarded_allow_ips: str = "127.0.0.1"
    """Trusted proxies (IPs/CIDRs, comma-separated; `*` = any) whose X-Forwarded-For is believed."""
    catalog_addr: str = "127.0.0.1:50051"
    """host:port of the catalog service's gRPC server."""
    quality_addr: str = "127.0.0.1:50052"
    """host:port of the quality service's gRPC server (DQ configs, runs, breaches)."""
    notifier_addr: str = "127.0.0.1:50054"
    """host:port of the notifier service's gRPC server (channels, rules, delivery log)."""
    scheduler_addr: str = "127.0.0.1:50055"
    """host:port of the scheduler service's gRPC server (schedules and their runs)."""
    governance_addr: str = "127.0.0.1:50053"
    """host:port of the governance service's gRPC server (users, API keys, audit trail)."""
    auth_cache_seconds: float = 5.0
    """Seconds a successful authentication is reused (revocation delay); 0 = no cache."""
    rpc_timeout_seconds: float = 10.0
    """Deadline of each gRPC call to a backend service."""
    scan_wait_timeout_seconds: float = 600.0
    """Deadline of `?wait=true` scans and DQ runs (the call lasts as long as the work)."""
    bootstrap_admin_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(BOOTSTRAP_ADMIN_KEY_ENV, "bootstrap_admin_key"),
    )
    """Bearer token accepted as an admin API key (first start, automation); unset = none. At
    least 16 characters (of at least 8 different ones): a weaker one is refused at start."""
    health_timeout_seconds: float = 2.0
    """Deadline of each dependency check of `/health`."""
    health_cache_seconds: float = 2.0
    """Seconds one `/health` probe result is reused (one probe in flight at most), so calls
    to the public endpoint cannot open database and NATS connections at will; 0 = no reuse."""
    login_attempts_per_minute: int = 20
    """Login attempts one client IP may make per minute (a token bucket of that size); more
    are refused with 429 and Retry-After. 0 = no limit. Counted per gateway replica."""
    login_failures_before_backoff: int = 5
    """Failed logins of one username before each further attempt waits (1 s, doubling)."""
    login_backoff_max_seconds: float = 60.0
    """Longest wait imposed on a username after repeated failed logins."""
    max_body_bytes: int = 1024 * 1024
    """Largest request body accepted; a bigger one is refused with 413 before it is read."""
    capsule_call_timeout_seconds: float = 1.0
    """Deadline of the quality and governance calls of `GET /capsules/{urn}` (a dimension whose
    service misses it is returned as unavailable; the rest still answer). The catalog's call,
    which holds the capsule itself, has the ordinary `rpc_timeout_seconds`."""
    ui_dir: str = ""
    """Folder of the built web UI served at `/` (`make ui`); empty = the repository's `ui/dist`."""

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _strong_bootstrap_key(cls, value: SecretStr | None) -> SecretStr | None:
        require_strong_secret(value, BOOTSTRAP_ADMIN_KEY_ENV, BOOTSTRAP_KEY_MIN_CHARS)
        return value

"""Gateway settings (env prefix DATACOMPASS_GATEWAY_).

`bootstrap_admin_key` is read from the unprefixed `DATACOMPASS_BOOTSTRAP_ADMIN_KEY`; the shared
`DATACOMPASS_DATABASE_URL` / `DATACOMPASS_NATS_URL` are used only by `/health`."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from dckit.settings import ServiceSettings

BOOTSTRAP_ADMIN_KEY_ENV = "DATACOMPASS_BOOTSTRAP_ADMIN_KEY"


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="DATACOMPASS_GATEWAY_", extra="ignore", populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = 8000
    catalog_addr: str = "127.0.0.1:50051"
    rpc_timeout_seconds: float = 10.0
    # Deadline of `POST /sources/{name}/scans?wait=true` (the call lasts as long as the scan).
    scan_wait_timeout_seconds: float = 600.0
    # Let GET requests through without a token (dev stack only).
    anonymous_read: bool = False
    # Accepted as an admin API key; unset = only anonymous reads (when enabled) work.
    bootstrap_admin_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(BOOTSTRAP_ADMIN_KEY_ENV, "bootstrap_admin_key"),
    )
    # Deadline of each dependency check of `/health`.
    health_timeout_seconds: float = 2.0

"""Governance service settings (env prefix DATACOMPASS_GOVERNANCE_)."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from dckit.settings import BackendSettings, require_strong_secret

JWT_SECRET_MIN_CHARS = 32


class GovernanceSettings(BackendSettings):
    model_config = SettingsConfigDict(
        env_prefix="DATACOMPASS_GOVERNANCE_", extra="ignore", populate_by_name=True
    )

    grpc_port: int = 50053
    """gRPC port."""
    metrics_port: int = 9103
    """Prometheus metrics port."""
    jwt_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    """Key signing access tokens (JWT HS256), same on every replica; unset = random per process.
    At least 32 characters (of at least 8 different ones): a weaker one is refused at start."""
    masking_key: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    """Secret the masking keys (hash salt, token and format-preserving encryption keys) derive
    from, at least 16 characters; the same on every replica and kept: changing it changes every
    hash and pseudonym and makes issued tokens undecryptable. Unset = random per process."""
    access_token_seconds: int = 900
    """Lifetime of an access token issued by login or refresh."""
    refresh_token_seconds: int = 7 * 24 * 3600
    """Lifetime of a refresh token."""
    catalog_addr: str = "127.0.0.1:50051"
    """The catalog service's gRPC address (objects to classify, their columns and tags)."""
    rpc_timeout_seconds: float = 10.0
    """Deadline of calls to the catalog."""
    catalog_cache_seconds: float = 2.0
    """How long an object looked up in the catalog is reused (one capsule read asks for it many
    times); 0 = ask every time. A catalog change shows here at most this much later."""

    @field_validator("jwt_secret")
    @classmethod
    def _strong_jwt_secret(cls, value: SecretStr) -> SecretStr:
        # HS256 keys shorter than the hash (256 bits) can be brute-forced from one token.
        require_strong_secret(value, "DATACOMPASS_GOVERNANCE_JWT_SECRET", JWT_SECRET_MIN_CHARS)
        return value

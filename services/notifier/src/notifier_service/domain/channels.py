"""Notification channels: the stored record, and the checks every channel type's config
validation is built from (each type's own rules live in its module, adapters/channels/)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from dckit.errors import InvalidArgument


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    channel_type: str
    config: dict[str, Any]  # the non-secret keys
    secrets_set: list[str]  # names of the secret keys that are stored
    enabled: bool
    created_at: datetime | None
    updated_at: datetime | None
    sealed: bytes  # the secret keys, sealed; never leaves the service


# What an update may change (channel_type may not: the config would be another's).
UPDATABLE = ("name", "config", "enabled")


def snapshot(channel: Channel) -> dict[str, Any]:
    """What the audit trail records: never the secrets, only which are set."""
    return {
        "name": channel.name,
        "channel_type": channel.channel_type,
        "config": channel.config,
        "secret_keys": channel.secrets_set,
        "enabled": channel.enabled,
    }


@dataclass(frozen=True)
class ChannelConfig:
    public: dict[str, Any]  # stored in clear, returned by the API
    secret: dict[str, Any]  # stored sealed, never returned
    generated_secret: str = ""  # a secret we made up (returned once, at creation)


class ConfigCheck:
    """Checks one channel config, collecting every problem as `config.<key>: ...` so the
    caller hears about all of them at once; `result()` raises them or splits the normalised
    config into public and secret keys."""

    def __init__(
        self, channel_type: str, config: Mapping[str, Any], allowed: Collection[str]
    ) -> None:
        self.config = config
        self.errors: list[str] = []
        self.out: dict[str, Any] = {}
        for key in sorted(set(config) - set(allowed)):
            self.error(key, f"unknown key for a {channel_type} channel")

    def error(self, key: str, message: str) -> None:
        self.errors.append(f"config.{key}: {message}")

    def url(self, key: str) -> str | None:
        """A required http(s) URL with a host (kept in `out`)."""
        value = self.config.get(key)
        if value in (None, ""):
            self.error(key, "required")
            return None
        if not isinstance(value, str):
            self.error(key, "must be a string")
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.error(key, "must be an http or https URL with a host")
            return None
        self.out[key] = value
        return value

    def result(self, secret_keys: Collection[str], generated_secret: str = "") -> ChannelConfig:
        if self.errors:
            raise InvalidArgument("invalid channel config: " + "; ".join(self.errors))
        return ChannelConfig(
            {k: v for k, v in self.out.items() if k not in secret_keys},
            {k: v for k, v in self.out.items() if k in secret_keys},
            generated_secret,
        )

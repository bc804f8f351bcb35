"""Notification channels: the stored record, and the checks every channel type's config
validation is built from (each type's own rules live in its module, adapters/channels/)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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


REDACTED = "***"


def redact_url(value: str) -> str:
    """`value` with the credentials of its userinfo (`https://user:pw@host/`) replaced."""
    parts = urlsplit(value)
    if "@" not in parts.netloc:
        return value
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def redacted(config: Mapping[str, Any]) -> dict[str, Any]:
    """What anyone may see of a channel's public config: header values and URL credentials
    replaced by `***` (rows stored before they were sealed hold them in clear)."""
    shown: dict[str, Any] = {}
    for key, value in config.items():
        if key == "headers" and isinstance(value, Mapping):
            shown[key] = dict.fromkeys(value, REDACTED)
        elif isinstance(value, str) and "://" in value:
            shown[key] = redact_url(value)
        else:
            shown[key] = value
    return shown


def keep_redacted(stored: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """An update's config with the redacted values it echoes back (`***` header values, a
    redacted URL) replaced by the stored ones, so a client may send back what it was shown."""
    out = dict(given)
    for key, value in given.items():
        old = stored.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            out[key] = {k: old[k] if v == REDACTED and k in old else v for k, v in value.items()}
        elif isinstance(value, str) and isinstance(old, str) and value == redact_url(old):
            out[key] = old
    return out


def _echoes(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(v == REDACTED for v in value.values())
    return value == REDACTED


def check_secrets_follow(
    stored: Mapping[str, Any],
    given: Mapping[str, Any],
    restored: Mapping[str, Any],
    checked: ChannelConfig,
) -> None:
    """An update that moves the channel's endpoint (SMTP host, webhook URL) must give its
    credentials again (`given`, not echoing `***`), or an admin could send the stored ones to
    a server of their choice. `restored`: `given` after keep_redacted."""
    moved = [k for k in checked.endpoint_keys if k in restored and restored[k] != stored.get(k)]
    missing = sorted(
        k
        for k in checked.credential_keys
        if stored.get(k) and (k not in given or _echoes(given[k]))
    )
    if moved and missing:
        raise InvalidArgument(
            f"config.{missing[0]}: must be given again when "
            f"{', '.join('config.' + k for k in moved)} change(s)"
        )


def public_view(channel: Channel) -> Channel:
    """The channel as the API shows it (redacted config)."""
    return replace(channel, config=redacted(channel.config))


def snapshot(channel: Channel) -> dict[str, Any]:
    """What the audit trail records: never the secrets, only which are set."""
    return {
        "name": channel.name,
        "channel_type": channel.channel_type,
        "config": redacted(channel.config),
        "secret_keys": channel.secrets_set,
        "enabled": channel.enabled,
    }


@dataclass(frozen=True)
class ChannelConfig:
    public: dict[str, Any]  # stored in clear, returned by the API
    secret: dict[str, Any]  # stored sealed, never returned
    generated_secret: str = ""  # a secret we made up (returned once, at creation)
    # Where the secrets go (a change needs `credential_keys` again) and what must follow.
    endpoint_keys: frozenset[str] = frozenset()
    credential_keys: frozenset[str] = frozenset()

    @property
    def secret_names(self) -> list[str]:
        """The keys stored only sealed (others in `secret` are also public, redacted)."""
        return sorted(k for k in self.secret if k not in self.public)


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

    def result(
        self,
        secret_keys: Collection[str],
        generated_secret: str = "",
        *,
        sealed_keys: Collection[str] = (),
        endpoint_keys: Collection[str] = (),
        credential_keys: Collection[str] = (),
    ) -> ChannelConfig:
        """`secret_keys` are stored sealed only; `sealed_keys` sealed, and in the public
        config redacted (header values, URL credentials)."""
        if self.errors:
            raise InvalidArgument("invalid channel config: " + "; ".join(self.errors))
        public = {k: v for k, v in self.out.items() if k not in secret_keys}
        return ChannelConfig(
            redacted(public) if sealed_keys else public,
            {k: v for k, v in self.out.items() if k in secret_keys or k in sealed_keys},
            generated_secret,
            frozenset(endpoint_keys),
            frozenset(credential_keys),
        )

"""Channel configuration rules: which keys each channel type takes, which of them are secret,
and validation that names every missing or bad field."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dckit.errors import InvalidArgument

CHANNEL_TYPES = ("slack", "email", "webhook")
SECRET_KEYS = {"slack": ("webhook_url",), "email": ("password",), "webhook": ("secret",)}
ALLOWED_KEYS = {
    "slack": {"webhook_url"},
    "email": {"host", "port", "starttls", "username", "password", "from", "to"},
    "webhook": {"url", "headers", "secret"},
}
# Headers we set ourselves; a channel must not be able to forge or break them.
RESERVED_HEADERS = {"content-type", "content-length", "host"}
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


@dataclass(frozen=True)
class ChannelConfig:
    public: dict[str, Any]  # stored in clear, returned by the API
    secret: dict[str, Any]  # stored sealed, never returned
    generated_secret: str = ""  # webhook secret we made up (returned once, at creation)


def split(channel_type: str, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = SECRET_KEYS.get(channel_type, ())
    return (
        {k: v for k, v in config.items() if k not in keys},
        {k: v for k, v in config.items() if k in keys},
    )


def validate(
    channel_type: str,
    config: dict[str, Any],
    *,
    slack_hosts: Sequence[str],
    generate_secret: bool = True,
) -> ChannelConfig:
    """Normalised config, or InvalidArgument listing every problem as `config.<key>: ...`."""
    if channel_type not in CHANNEL_TYPES:
        raise InvalidArgument(f"channel_type: must be one of {', '.join(CHANNEL_TYPES)}")
    errors: list[str] = []
    for key in sorted(set(config) - ALLOWED_KEYS[channel_type]):
        errors.append(f"config.{key}: unknown key for a {channel_type} channel")
    out: dict[str, Any] = {}
    generated = ""
    if channel_type == "slack":
        url = _url(config, "webhook_url", errors)
        if url is not None:
            host = urlsplit(url).hostname or ""
            if host not in slack_hosts:
                errors.append(f"config.webhook_url: host must be one of {', '.join(slack_hosts)}")
            out["webhook_url"] = url
    elif channel_type == "webhook":
        url = _url(config, "url", errors)
        if url is not None:
            out["url"] = url
        out["headers"] = _headers(config.get("headers", {}), errors)
        secret = config.get("secret")
        if secret is None and generate_secret:
            secret = generated = secrets.token_urlsafe(32)
        if not isinstance(secret, str) or len(secret) < 16:
            errors.append("config.secret: must be a string of at least 16 characters")
        out["secret"] = secret
    else:
        _email_config(config, out, errors)
    if errors:
        raise InvalidArgument("invalid channel config: " + "; ".join(errors))
    public, secret_part = split(channel_type, out)
    return ChannelConfig(public, secret_part, generated)


def _url(config: dict[str, Any], key: str, errors: list[str]) -> str | None:
    value = config.get(key)
    if value in (None, ""):
        errors.append(f"config.{key}: required")
        return None
    if not isinstance(value, str):
        errors.append(f"config.{key}: must be a string")
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append(f"config.{key}: must be an http or https URL with a host")
        return None
    return value


def _headers(value: Any, errors: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        errors.append("config.headers: must be an object of header name → string value")
        return {}
    out: dict[str, str] = {}
    for name, v in value.items():
        if not _HEADER_NAME.match(name) or not isinstance(v, str) or "\n" in v or "\r" in v:
            errors.append(f"config.headers.{name}: must be a valid header name with a string value")
        elif name.lower() in RESERVED_HEADERS or name.lower().startswith("x-datacompass-"):
            errors.append(f"config.headers.{name}: is set by Data Compass and cannot be overridden")
        else:
            out[name] = v
    return out


def _email_config(config: dict[str, Any], out: dict[str, Any], errors: list[str]) -> None:
    host = config.get("host")
    if not host or not isinstance(host, str):
        errors.append("config.host: required")
    else:
        out["host"] = host
    port = config.get("port", 587)
    # Struct numbers arrive as floats: 587.0 is fine, 587.5 is not.
    if isinstance(port, bool) or not isinstance(port, int | float) or port != int(port):
        errors.append("config.port: must be an integer")
    elif not 1 <= int(port) <= 65535:
        errors.append("config.port: must be between 1 and 65535")
    else:
        out["port"] = int(port)
    starttls = config.get("starttls", True)
    if not isinstance(starttls, bool):
        errors.append("config.starttls: must be true or false")
    else:
        out["starttls"] = starttls
    username, password = config.get("username", ""), config.get("password", "")
    if not isinstance(username, str):
        errors.append("config.username: must be a string")
    elif not isinstance(password, str):
        errors.append("config.password: must be a string")
    elif username and not password:
        errors.append("config.password: required when username is set")
    else:
        out["username"] = username
        if password:
            out["password"] = password
    sender = config.get("from")
    if not sender:
        errors.append("config.from: required")
    elif not isinstance(sender, str) or not _EMAIL.match(sender):
        errors.append(f"config.from: {sender!r} is not an email address")
    else:
        out["from"] = sender
    to = config.get("to")
    if isinstance(to, str):
        to = [to]
    if not to:
        errors.append("config.to: at least one recipient is required")
    elif not isinstance(to, list):
        errors.append("config.to: must be a list of email addresses")
    else:
        bad = [a for a in to if not isinstance(a, str) or not _EMAIL.match(a)]
        if bad:
            errors.append(f"config.to: not email addresses: {', '.join(map(str, bad))}")
        out["to"] = to

"""Connection settings of a source type, declared once: each setting's check, whether it is
required, its default and whether it is a secret. Errors name the setting
(`connection.<name> ...`) and never echo a value."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dckit.errors import InvalidArgument

# check(value, name) → the clean value, or InvalidArgument naming connection.<name>.
Check = Callable[[Any, str], Any]


@dataclass(frozen=True)
class Setting:
    check: Check
    required: bool = False
    secret: bool = False  # encrypted at rest like every setting; never shown or logged
    endpoint: bool = False  # names the server the secrets are sent to (host, port, database)
    default: Any = None  # filled in when absent (None: left absent)


@dataclass(frozen=True)
class ConnectionConfig:
    source_type: str
    settings: Mapping[str, Setting]  # required ones are reported missing in this order

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(k for k, s in self.settings.items() if s.required)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(k for k, s in self.settings.items() if s.secret)

    @property
    def endpoint(self) -> tuple[str, ...]:
        return tuple(k for k, s in self.settings.items() if s.endpoint)

    def check_secrets_follow(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """An update that moves the endpoint (`new` vs the stored `old`) must give the stored
        secrets again: kept ones would be sent to a server nobody vouched for. InvalidArgument
        names the missing secret(s) and the moved setting(s)."""
        moved = [k for k in self.endpoint if k in new and new[k] != old.get(k)]
        missing = sorted(k for k in self.secrets if k in old and k not in new)
        if moved and missing:
            raise InvalidArgument(
                f"connection.{missing[0]} must be given again when "
                f"{', '.join('connection.' + k for k in moved)} change(s)"
                + (f" (also: {', '.join(missing[1:])})" if missing[1:] else "")
            )

    def validate(self, connection: Mapping[str, Any]) -> dict[str, Any]:
        """The clean settings; InvalidArgument for unknown, missing or bad ones."""
        unknown = sorted(set(connection) - set(self.settings))
        if unknown:
            raise InvalidArgument(
                f"unknown connection setting(s) for {self.source_type}: {', '.join(unknown)}"
            )
        for name in self.required:
            if name not in connection:
                raise InvalidArgument(
                    f"connection.{name} is required for a {self.source_type} source"
                )
        clean = {k: self.settings[k].check(v, k) for k, v in connection.items()}
        for name, setting in self.settings.items():
            if setting.default is not None:
                clean.setdefault(name, setting.default)
        return clean


# -- checks ----------------------------------------------------------------------------------


def text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"connection.{name} must be a non-empty string")
    return value


def any_text(value: Any, name: str) -> str:
    """A string, possibly empty (a password may be)."""
    return value if isinstance(value, str) else text(value, name)


def integer(low: int, high: int) -> Check:
    def check(value: Any, name: str) -> int:
        # JSON numbers arrive as floats through protobuf Struct.
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            raise InvalidArgument(f"connection.{name} must be an integer")
        if not low <= int(value) <= high:
            raise InvalidArgument(f"connection.{name} must be between {low} and {high}")
        return int(value)

    return check


def names(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidArgument(f"connection.{name} must be a list of names")
    return list(value)


def choice(options: Sequence[str]) -> Check:
    def check(value: Any, name: str) -> str:
        if value not in options:
            raise InvalidArgument(f"connection.{name} must be one of {', '.join(options)}")
        return str(value)

    return check


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,255}$")


def plain_name(value: Any, name: str) -> str:
    """A name safe to interpolate (back-quoted) into SQL: letters, digits, '_' and '-'."""
    if not isinstance(value, str) or not _PLAIN_NAME.match(value):
        raise InvalidArgument(f"connection.{name} must be a name of letters, digits, '_' or '-'")
    return value

"""Source types and validation of their connection settings."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dckit.errors import InvalidArgument

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
SECRET_KEYS = frozenset({"password", "token", "access_token"})


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"connection.{key} must be a non-empty string")
    return value


def _int(value: Any, key: str, low: int, high: int) -> int:
    # JSON numbers arrive as floats through protobuf Struct.
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise InvalidArgument(f"connection.{key} must be an integer")
    if not low <= int(value) <= high:
        raise InvalidArgument(f"connection.{key} must be between {low} and {high}")
    return int(value)


def _str_list(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidArgument(f"connection.{key} must be a list of names")
    return list(value)


def _postgres(conn: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Callable[[Any, str], Any]] = {
        "host": _str,
        "port": lambda v, k: _int(v, k, 1, 65535),
        "database": _str,
        "username": _str,
        "password": lambda v, k: v if isinstance(v, str) else _str(v, k),
        "sslmode": _sslmode,
        "schemas": _str_list,
        "exclude_schemas": _str_list,
        "connect_timeout_seconds": lambda v, k: _int(v, k, 1, 300),
    }
    unknown = sorted(set(conn) - set(fields))
    if unknown:
        raise InvalidArgument(f"unknown connection setting(s) for postgres: {', '.join(unknown)}")
    for required in ("host", "database", "username"):
        if required not in conn:
            raise InvalidArgument(f"connection.{required} is required for a postgres source")
    clean = {key: fields[key](value, key) for key, value in conn.items()}
    clean.setdefault("port", 5432)
    return clean


def _databricks(conn: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Callable[[Any, str], Any]] = {
        "server_hostname": _str,
        "http_path": _str,
        "access_token": _str,
        "catalog": _identifier,
        "schemas": _str_list,
        "exclude_schemas": _str_list,
        "connect_timeout_seconds": lambda v, k: _int(v, k, 1, 300),
    }
    unknown = sorted(set(conn) - set(fields))
    if unknown:
        raise InvalidArgument(f"unknown connection setting(s) for databricks: {', '.join(unknown)}")
    for required in ("server_hostname", "http_path", "access_token", "catalog"):
        if required not in conn:
            raise InvalidArgument(f"connection.{required} is required for a databricks source")
    return {key: fields[key](value, key) for key, value in conn.items()}


def _identifier(value: Any, key: str) -> str:
    # Interpolated (back-quoted) into SQL: letters, digits, '_' and '-' only.
    if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9_\-]{1,255}$", value):
        raise InvalidArgument(f"connection.{key} must be a name of letters, digits, '_' or '-'")
    return value


def _sslmode(value: Any, key: str) -> str:
    if value not in SSL_MODES:
        raise InvalidArgument(f"connection.{key} must be one of {', '.join(SSL_MODES)}")
    return str(value)


VALIDATORS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "postgres": _postgres,
    "databricks": _databricks,
}


def validate_connection(source_type: str, connection: Mapping[str, Any]) -> dict[str, Any]:
    validator = VALIDATORS.get(source_type)
    if validator is None:
        raise InvalidArgument(
            f"unknown source type {source_type!r}; supported: {', '.join(sorted(VALIDATORS))}"
        )
    return validator(connection)


def merge_connection(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """An update keeps keys it does not mention, so secrets need not be re-sent."""
    merged = dict(old)
    merged.update(new)
    return merged

"""Connection settings of a PostgreSQL source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.config import ConnectionConfig, Setting, any_text, choice, integer, names, text

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
DEFAULT_PORT = 5432

CONFIG = ConnectionConfig(
    "postgres",
    {
        "host": Setting(text, required=True, endpoint=True),
        "port": Setting(integer(1, 65535), default=DEFAULT_PORT, endpoint=True),
        "database": Setting(text, required=True, endpoint=True),
        "username": Setting(text, required=True),
        "password": Setting(any_text, secret=True),
        "sslmode": Setting(choice(SSL_MODES)),
        "schemas": Setting(names),
        "exclude_schemas": Setting(names),
        "connect_timeout_seconds": Setting(integer(1, 300)),
    },
)


def where(conn: Mapping[str, Any]) -> str:
    """The source as errors name it (no credentials)."""
    return f"{conn['host']}:{conn.get('port', DEFAULT_PORT)}/{conn['database']}"

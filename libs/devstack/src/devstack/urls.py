"""PostgreSQL URL helpers shared by the dev stack modules (no pytest imports here)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from dckit.settings import to_libpq_url

# A postgresql:// URL asyncpg accepts (drops SQLAlchemy's +asyncpg driver suffix).
plain = to_libpq_url


def postgres_connection(url: str, **overrides: Any) -> dict[str, Any]:
    """A catalog `postgres` source connection (as the REST/gRPC APIs take it) for a server URL."""
    parts = urlsplit(url)
    connection: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "database": database_of(url),
        "username": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
    }
    connection.update(overrides)
    return connection


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database (scheme and credentials kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def database_of(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/")) or "postgres"


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432

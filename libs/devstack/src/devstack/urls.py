"""PostgreSQL URL helpers shared by the dev stack modules (no pytest imports here)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit


def plain(url: str) -> str:
    """A postgresql:// URL asyncpg accepts (drops SQLAlchemy's +asyncpg driver suffix)."""
    for scheme in ("postgresql+asyncpg://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme) :]
    return url


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database (scheme and credentials kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def database_of(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/")) or "postgres"


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432

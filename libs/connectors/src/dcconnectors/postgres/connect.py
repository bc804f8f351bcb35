"""Connecting to a PostgreSQL *data source* (not our own database) with asyncpg: read-only
sessions, a statement timeout, TLS modes, and errors that name the cause without secrets.
Shared by the metadata reader and the query executor."""

from __future__ import annotations

import ipaddress
import os
import ssl as ssl_lib
from collections.abc import Mapping
from typing import Any

import asyncpg

from dcconnectors.errors import SourceError, first_line
from dcconnectors.postgres.config import DEFAULT_PORT, where


async def connect(
    conn: Mapping[str, Any], *, application_name: str, statement_timeout_ms: int
) -> asyncpg.Connection:
    """A read-only session on the source, every statement bounded by `statement_timeout_ms`."""
    timeout = float(conn.get("connect_timeout_seconds", 10))
    try:
        return await asyncpg.connect(
            host=conn["host"],
            port=int(conn.get("port", DEFAULT_PORT)),
            user=conn["username"],
            password=conn.get("password") or None,
            database=conn["database"],
            ssl=ssl_mode(conn.get("sslmode") or default_sslmode(conn["host"])),
            timeout=timeout,
            server_settings={
                "application_name": application_name,
                "default_transaction_read_only": "on",
                "statement_timeout": str(statement_timeout_ms),
            },
        )
    except TimeoutError as exc:
        raise SourceError(f"cannot connect to {where(conn)}: timed out after {timeout:g}s") from exc
    except asyncpg.InvalidPasswordError as exc:
        raise SourceError(f"cannot connect to {where(conn)}: authentication failed") from exc
    except asyncpg.InvalidCatalogNameError as exc:
        raise SourceError(f"cannot connect to {where(conn)}: database does not exist") from exc
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise SourceError(f"cannot connect to {where(conn)}: {reason(exc)}") from exc


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def default_sslmode(host: str) -> str:
    """`verify-full` unless the server is on this machine (loopback or a unix socket), where
    TLS adds nothing: a password is never sent to an unverified remote server by default."""
    if host.startswith("/") or host.lower() in LOCAL_HOSTS:
        return "prefer"
    try:
        return "prefer" if ipaddress.ip_address(host).is_loopback else "verify-full"
    except ValueError:
        return "verify-full"


def ssl_mode(mode: str) -> Any:
    if mode in ("disable", "allow", "prefer", "require"):
        return mode
    ctx = ssl_lib.create_default_context()
    ctx.check_hostname = mode == "verify-full"
    return ctx


def reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno:
        # "connection refused", not "[Errno 111] Connect call failed ('10.0.0.5', 5432)":
        # asyncio puts its own text in strerror, so name the errno instead.
        return os.strerror(exc.errno).lower()
    return first_line(exc)

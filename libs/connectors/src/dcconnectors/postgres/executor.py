"""Runs quality's metric, rule and profile queries on a PostgreSQL source: a small pool of read-only
sessions (one per concurrent query), each statement in a read-only transaction bounded by the
configured timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import asyncpg

from dcconnectors.errors import QueryFailed, SourceError
from dcconnectors.interfaces import Statement
from dcconnectors.postgres import config
from dcconnectors.postgres.connect import connect, reason
from dcconnectors.postgres.dialect import PostgresDialect


class PostgresExecutor:
    dialect = PostgresDialect()

    def __init__(self, connection: Mapping[str, Any], *, statement_timeout_ms: int) -> None:
        self.conn = connection
        self.statement_timeout_ms = statement_timeout_ms
        self._idle: list[asyncpg.Connection] = []
        self._all: list[asyncpg.Connection] = []
        self._lock = asyncio.Lock()

    def table_path(self, schema: str, name: str) -> tuple[str, ...]:
        return self.dialect.path(schema, name)

    async def _acquire(self) -> asyncpg.Connection:
        async with self._lock:
            if self._idle:
                return self._idle.pop()
        conn = await connect(
            self.conn,
            application_name="datacompass-quality",
            statement_timeout_ms=self.statement_timeout_ms,
        )
        self._all.append(conn)
        return conn

    async def fetch(self, query: Statement) -> list[dict[str, Any]]:
        conn = await self._acquire()
        try:
            # Every statement in its own READ ONLY transaction with its own timeout: a
            # statement (an admin's custom SQL) could switch the session's defaults off with
            # set_config(), but cannot make a read-only transaction write.
            async with conn.transaction(readonly=True):
                await conn.execute(
                    f"SET LOCAL statement_timeout = {int(self.statement_timeout_ms)}"
                )
                rows = await conn.fetch(query.sql, *query.params)
        except asyncpg.QueryCanceledError as exc:
            raise QueryFailed(
                f"query on {config.where(self.conn)} exceeded the statement timeout "
                f"({self.statement_timeout_ms} ms)"
            ) from exc
        except asyncpg.PostgresError as exc:
            raise QueryFailed(f"query on {config.where(self.conn)} failed: {reason(exc)}") from exc
        except (OSError, asyncpg.InterfaceError) as exc:
            raise SourceError(
                f"lost the connection to {config.where(self.conn)}: {reason(exc)}"
            ) from exc
        async with self._lock:
            self._idle.append(conn)
        return [dict(r) for r in rows]

    async def close(self) -> None:
        for conn in self._all:
            if not conn.is_closed():
                await conn.close()
        self._all.clear()
        self._idle.clear()

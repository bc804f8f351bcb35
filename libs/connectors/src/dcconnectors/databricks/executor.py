"""Runs quality's metric, rule and profile queries on a Databricks SQL warehouse through
databricks-sql-connector: a pool of connections (one per concurrent query), each query in a
worker thread under the configured timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from dcconnectors.databricks import config
from dcconnectors.databricks import connect as dbx
from dcconnectors.databricks.dialect import DatabricksDialect
from dcconnectors.errors import QueryFailed, SourceError
from dcconnectors.interfaces import Statement


class DatabricksExecutor:
    dialect = DatabricksDialect()

    def __init__(
        self,
        connection: Mapping[str, Any],
        *,
        statement_timeout_ms: int,
        connect: dbx.Connect | None = None,
    ) -> None:
        self.conn = connection
        self.timeout = statement_timeout_ms / 1000
        self.connect = connect or dbx.connector(connection)
        self._idle: list[dbx.Connection] = []
        self._all: list[dbx.Connection] = []
        self._lock = asyncio.Lock()

    def table_path(self, schema: str, name: str) -> tuple[str, ...]:
        return self.dialect.path(schema, name, catalog=str(self.conn["catalog"]))

    async def fetch(self, query: Statement) -> list[dict[str, Any]]:
        async with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = await dbx.open_connection(self.connect, self.timeout, config.where(self.conn))
            self._all.append(conn)
        try:
            rows = await dbx.query(
                conn,
                query.sql,
                query.params,
                seconds=self.timeout,
                what=f"query on {config.where(self.conn)}",
            )
        except SourceError as exc:
            raise QueryFailed(str(exc)) from exc
        async with self._lock:
            self._idle.append(conn)
        return rows

    async def close(self) -> None:
        for conn in self._all:
            await asyncio.to_thread(conn.close)
        self._all.clear()
        self._idle.clear()

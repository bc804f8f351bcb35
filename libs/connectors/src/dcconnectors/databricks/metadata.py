"""Databricks (Unity Catalog) metadata through any DB-API 2.0 connection — in production the
`databricks-sql-connector` (a pinned dependency of dc-connectors, imported when the first real
connection is built so processes that never scan Databricks do not load it), in tests a fake
at the cursor boundary.

One catalog per source: tables, views and columns from `<catalog>.information_schema`, table
constraints from its constraint views, and for Delta tables storage format, partitioning, size
and file count from `DESCRIBE DETAIL` — one statement per table, run on a bounded pool of
connections (the DB-API is blocking, so each runs in a worker thread), each with a timeout."""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from dcconnectors.databricks import config
from dcconnectors.databricks import connect as dbx
from dcconnectors.databricks.dialect import DatabricksDialect
from dcconnectors.errors import SourceError
from dcconnectors.interfaces import Progress
from dcconnectors.scanned import (
    Partitioning,
    ScannedColumn,
    ScannedConstraint,
    ScannedObject,
    Statistics,
)

TABLE_TYPES = {
    "MANAGED": "table",
    "EXTERNAL": "table",
    "STREAMING_TABLE": "table",
    "VIEW": "view",
    "MATERIALIZED_VIEW": "materialized_view",
    "FOREIGN": "foreign_table",
}
CONSTRAINT_TYPES = {"PRIMARY KEY": "primary_key", "FOREIGN KEY": "foreign_key", "UNIQUE": "unique"}
IDENTIFIER = re.compile(r"^[A-Za-z0-9_\-]+$")

TABLES_SQL = """
SELECT table_schema, table_name, table_type, comment, table_owner, data_source_format
FROM {catalog}.information_schema.tables
WHERE table_schema <> 'information_schema'
ORDER BY table_schema, table_name
"""
VIEWS_SQL = """
SELECT table_schema, table_name, view_definition
FROM {catalog}.information_schema.views
WHERE table_schema <> 'information_schema'
"""
COLUMNS_SQL = """
SELECT table_schema, table_name, column_name, ordinal_position, full_data_type, is_nullable,
       column_default, comment
FROM {catalog}.information_schema.columns
WHERE table_schema <> 'information_schema'
ORDER BY table_schema, table_name, ordinal_position
"""
CONSTRAINTS_SQL = """
SELECT tc.table_schema, tc.table_name, tc.constraint_name, tc.constraint_type,
       kcu.column_name, kcu.ordinal_position,
       rc.update_rule, rc.delete_rule,
       ccu.table_schema AS ref_schema, ccu.table_name AS ref_table, ccu.column_name AS ref_column
FROM {catalog}.information_schema.table_constraints tc
JOIN {catalog}.information_schema.key_column_usage kcu
  ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name
LEFT JOIN {catalog}.information_schema.referential_constraints rc
  ON rc.constraint_schema = tc.constraint_schema AND rc.constraint_name = tc.constraint_name
LEFT JOIN {catalog}.information_schema.constraint_column_usage ccu
  ON ccu.constraint_schema = rc.unique_constraint_schema
 AND ccu.constraint_name = rc.unique_constraint_name
 AND kcu.position_in_unique_constraint IS NOT NULL
WHERE tc.table_schema <> 'information_schema'
ORDER BY tc.table_schema, tc.table_name, tc.constraint_name, kcu.ordinal_position
"""


class DatabricksMetadataReader:
    dialect = DatabricksDialect()

    def __init__(
        self,
        connection: Mapping[str, Any],
        *,
        statement_timeout_ms: int = 60_000,
        parallelism: int = 4,
        connect: dbx.Connect | None = None,
    ) -> None:
        self.conn = connection
        self.catalog = connection["catalog"]
        if not IDENTIFIER.match(self.catalog):
            raise SourceError(f"invalid catalog name {self.catalog!r}")
        self.timeout = statement_timeout_ms / 1000
        self.parallelism = max(1, parallelism)
        self.connect = connect or dbx.connector(connection)

    @property
    def where(self) -> str:
        return config.where(self.conn)

    async def _query(self, connection: dbx.Connection, sql: str) -> list[dict[str, Any]]:
        return await dbx.query(
            connection, sql, None, seconds=self.timeout, what=f"metadata query on {self.where}"
        )

    async def _open(self) -> dbx.Connection:
        return await dbx.open_connection(self.connect, self.timeout, self.where)

    async def scan(self, progress: Progress | None = None) -> list[ScannedObject]:
        report = progress or (lambda done, total: None)
        main = await self._open()
        pool: list[dbx.Connection] = [main]
        try:
            q = {"catalog": self.dialect.quote(self.catalog)}
            tables = [t for t in await self._query(main, TABLES_SQL.format(**q)) if self._wanted(t)]
            views = {
                (v["table_schema"], v["table_name"]): v["view_definition"]
                for v in await self._query(main, VIEWS_SQL.format(**q))
            }
            columns = await self._query(main, COLUMNS_SQL.format(**q))
            constraints = await self._query(main, CONSTRAINTS_SQL.format(**q))
            delta = [t for t in tables if (t["data_source_format"] or "").upper() == "DELTA"]
            report(0, len(tables))
            extra = min(self.parallelism, max(len(delta), 1)) - 1
            pool += list(await asyncio.gather(*(self._open() for _ in range(extra))))
            details = await self._describe_all(pool, delta, report, len(tables))
        finally:
            for connection in pool:
                await asyncio.to_thread(connection.close)
        report(len(tables), len(tables))
        return _build(tables, views, columns, constraints, details)

    def _wanted(self, table: dict[str, Any]) -> bool:
        schema = table["table_schema"]
        include = self.conn.get("schemas")
        return (not include or schema in include) and schema not in (
            self.conn.get("exclude_schemas") or []
        )

    async def _describe_all(
        self,
        pool: list[dbx.Connection],
        delta: list[dict[str, Any]],
        report: Progress,
        total: int,
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """DESCRIBE DETAIL per Delta table, each connection of the pool running one at a time."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for table in delta:
            queue.put_nowait(table)
        details: dict[tuple[str, str], dict[str, Any]] = {}
        done = total - len(delta)  # non-Delta objects need no detail

        async def work(connection: dbx.Connection) -> None:
            nonlocal done
            while not queue.empty():
                table = queue.get_nowait()
                key = (table["table_schema"], table["table_name"])
                name = self.dialect.table((self.catalog, *key))
                rows = await self._query(connection, f"DESCRIBE DETAIL {name}")
                if rows:
                    details[key] = rows[0]
                done += 1
                report(done, total)

        await asyncio.gather(*(work(c) for c in pool))
        return details


def _build(
    tables: list[dict[str, Any]],
    views: dict[tuple[str, str], str],
    columns: list[dict[str, Any]],
    constraints: list[dict[str, Any]],
    details: dict[tuple[str, str], dict[str, Any]],
) -> list[ScannedObject]:
    cols: dict[tuple[str, str], list[ScannedColumn]] = defaultdict(list)
    for c in columns:
        cols[(c["table_schema"], c["table_name"])].append(
            ScannedColumn(
                name=c["column_name"],
                ordinal=int(c["ordinal_position"]) + 1,  # Databricks counts from 0
                data_type=c["full_data_type"],
                nullable=c["is_nullable"] == "YES",
                default_expression=c["column_default"],
                comment=c["comment"],
            )
        )
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in constraints:
        grouped[(row["table_schema"], row["table_name"], row["constraint_name"])].append(row)
    cons: dict[tuple[str, str], list[ScannedConstraint]] = defaultdict(list)
    for (schema, table, name), rows in grouped.items():
        kind = CONSTRAINT_TYPES.get(rows[0]["constraint_type"])
        if kind is None:
            continue
        foreign = kind == "foreign_key"
        cons[(schema, table)].append(
            ScannedConstraint(
                constraint_type=kind,
                name=name,
                columns=tuple(r["column_name"] for r in rows),
                referenced_schema=rows[0]["ref_schema"] if foreign else None,
                referenced_table=rows[0]["ref_table"] if foreign else None,
                referenced_columns=tuple(r["ref_column"] for r in rows) if foreign else (),
                on_delete=rows[0]["delete_rule"] if foreign else None,
                on_update=rows[0]["update_rule"] if foreign else None,
                enforced=False,  # Unity Catalog keys are informational
            )
        )
    out = []
    for t in tables:
        key = (t["table_schema"], t["table_name"])
        detail = details.get(key, {})
        partition_cols = _list(detail.get("partitionColumns"))
        meta: dict[str, Any] = {"owner": t["table_owner"], "table_type": t["table_type"]}
        if t["comment"]:
            meta["comment"] = t["comment"]
        if detail.get("location"):
            meta["location"] = detail["location"]
        if detail.get("clusteringColumns"):
            meta["clustering_columns"] = _list(detail["clusteringColumns"])
        column_list = cols[key]
        not_null = tuple(
            ScannedConstraint("not_null", None, (c.name,)) for c in column_list if not c.nullable
        )
        out.append(
            ScannedObject(
                schema=key[0],
                name=key[1],
                object_type=TABLE_TYPES.get((t["table_type"] or "").upper(), "table"),
                comment=t["comment"],
                metadata=meta,
                columns=tuple(column_list),
                constraints=tuple(cons[key]) + not_null,
                partitioning=(
                    Partitioning("list", tuple(partition_cols), ", ".join(partition_cols))
                    if partition_cols
                    else None
                ),
                definition=(views.get(key) or "").strip() or None,
                storage_format=_lower(detail.get("format") or t["data_source_format"]),
                # lastModified/numFiles move with every write: not kept (they are not schema).
                stats=Statistics(
                    size_bytes=_int(detail.get("sizeInBytes")), row_estimate=_row_count(detail)
                ),
            )
        )
    return out


def _list(value: Any) -> list[str]:
    """Array columns arrive as lists, numpy arrays or JSON text depending on the connector."""
    if value is None:
        return []
    if isinstance(value, str):
        return [str(v) for v in json.loads(value)] if value.strip() else []
    return [str(v) for v in value]


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _row_count(detail: dict[str, Any]) -> int | None:
    stats = detail.get("statistics")
    if isinstance(stats, str) and stats:
        stats = json.loads(stats)
    if isinstance(stats, dict) and stats.get("numRows") is not None:
        return int(stats["numRows"])
    return None


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None

"""PostgreSQL metadata from the system catalogs, read in a fixed number of bulk queries per scan
(relations, columns, constraints, indexes, partition keys) over one read-only connection and
one repeatable-read snapshot: per-table queries would cost a round trip each."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import asyncpg

from dcconnectors.errors import SourceError
from dcconnectors.interfaces import Progress
from dcconnectors.postgres import config
from dcconnectors.postgres.connect import connect as open_session
from dcconnectors.postgres.connect import reason
from dcconnectors.scanned import (
    Partitioning,
    ScannedColumn,
    ScannedConstraint,
    ScannedIndex,
    ScannedObject,
    Statistics,
)

RELKINDS = {
    "r": "table",
    "p": "partitioned_table",
    "v": "view",
    "m": "materialized_view",
    "f": "foreign_table",
}
SYSTEM_SCHEMAS = ["pg_catalog", "information_schema", "pg_toast"]

RELATIONS_SQL = """
SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
       obj_description(c.oid, 'pg_class') AS comment,
       pg_get_userbyid(c.relowner) AS owner,
       c.relispartition AS is_partition,
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END AS row_estimate,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition,
       CASE WHEN c.relkind IN ('r', 'm', 'p') THEN pg_total_relation_size(c.oid) END AS size_bytes,
       GREATEST(pg_stat_get_last_analyze_time(c.oid),
                pg_stat_get_last_autoanalyze_time(c.oid)) AS last_analyzed_at,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key_def,
       pt.partstrat::text AS partition_strategy,
       CASE WHEN c.relkind = 'p' THEN ARRAY(
           SELECT a.attname FROM unnest(pt.partattrs::int2[]) k(attnum)
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
       ) END AS partition_columns
FROM pg_class c
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind::text = ANY($1::text[])
  AND n.nspname <> ALL($2::text[])
  AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
  AND ($3::text[] IS NULL OR n.nspname = ANY($3::text[]))
ORDER BY n.nspname, c.relname
"""

COLUMNS_SQL = """
SELECT a.attrelid AS oid, a.attname AS name, a.attnum AS ordinal,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       NOT a.attnotnull AS nullable,
       pg_get_expr(d.adbin, d.adrelid) AS default_expression,
       col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""


CONSTRAINTS_SQL = """
SELECT con.conrelid AS oid, con.conname AS name, con.contype::text AS contype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS columns,
       fn.nspname AS ref_schema, fc.relname AS ref_table,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS ref_columns,
       con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update,
       CASE WHEN con.contype = 'c' THEN pg_get_constraintdef(con.oid, true) END AS check_def,
       con.condeferrable AS deferrable
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = ANY($1::oid[]) AND con.contype IN ('p', 'f', 'u', 'c')
ORDER BY con.conrelid, con.conname
"""

# Key columns only (not INCLUDE ones); an expression key has attnum 0 and its text comes
# from pg_get_indexdef(index, position).
INDEXES_SQL = """
SELECT i.indrelid AS oid, ic.relname AS name, am.amname AS index_type,
       i.indisunique AS is_unique, i.indisprimary AS is_primary,
       ARRAY(SELECT CASE WHEN k.attnum = 0 THEN '' ELSE a.attname END
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) AS columns,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k.ord::int, true)
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
             WHERE k.attnum = 0 AND k.ord <= i.indnkeyatts ORDER BY k.ord) AS expressions,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
WHERE i.indrelid = ANY($1::oid[])
ORDER BY i.indrelid, ic.relname
"""

BATCH_SIZE = 500  # relations per batch of column/constraint/index queries
SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")

FK_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}
CONSTRAINT_TYPES = {"p": "primary_key", "f": "foreign_key", "u": "unique", "c": "check"}
PARTITION_STRATEGIES = {"r": "range", "l": "list", "h": "hash"}


class PostgresMetadataReader:
    def __init__(
        self,
        connection: Mapping[str, Any],
        *,
        statement_timeout_ms: int = 60_000,
        parallelism: int = 4,
    ) -> None:
        self.conn = connection
        self.statement_timeout_ms = statement_timeout_ms
        self.parallelism = max(1, parallelism)

    @property
    def where(self) -> str:
        return config.where(self.conn)

    async def connect(self) -> asyncpg.Connection:
        return await open_session(
            self.conn,
            application_name="datacompass-scan",
            statement_timeout_ms=self.statement_timeout_ms,
        )

    async def scan(self, progress: Progress | None = None) -> list[ScannedObject]:
        """Relations first, then their columns/constraints/indexes in batches read in
        parallel by up to `parallelism` connections that share one exported snapshot (so the
        result is as consistent as one transaction). `progress(done, total)` after each batch."""
        report = progress or (lambda done, total: None)
        conn = await self.connect()
        helpers: list[asyncpg.Connection] = []
        try:
            include = self.conn.get("schemas") or None
            excluded = SYSTEM_SCHEMAS + list(self.conn.get("exclude_schemas") or [])
            async with conn.transaction(readonly=True, isolation="repeatable_read"):
                snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
                relations = await conn.fetch(RELATIONS_SQL, list(RELKINDS), excluded, include)
                oids = [r["oid"] for r in relations]
                batches = [oids[i : i + BATCH_SIZE] for i in range(0, len(oids), BATCH_SIZE)]
                report(0, len(oids))
                extra = min(self.parallelism, len(batches)) - 1
                helpers = list(await asyncio.gather(*(self.connect() for _ in range(extra))))
                columns, constraints, indexes = await self._read_batches(
                    conn, helpers, snapshot, batches, report, len(oids)
                )
        except asyncpg.QueryCanceledError as exc:
            raise SourceError(f"metadata query on {self.where} hit the statement timeout") from exc
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise SourceError(f"reading metadata from {self.where} failed: {reason(exc)}") from exc
        finally:
            await asyncio.gather(*(c.close() for c in [conn, *helpers]), return_exceptions=True)
        by_oid: dict[int, list[ScannedColumn]] = defaultdict(list)
        for col in columns:
            by_oid[col["oid"]].append(
                ScannedColumn(
                    name=col["name"],
                    ordinal=col["ordinal"],
                    data_type=col["data_type"],
                    nullable=col["nullable"],
                    default_expression=col["default_expression"],
                    comment=col["comment"],
                )
            )
        cons_by_oid: dict[int, list[ScannedConstraint]] = defaultdict(list)
        for con in constraints:
            cons_by_oid[con["oid"]].append(_constraint(con))
        idx_by_oid: dict[int, list[ScannedIndex]] = defaultdict(list)
        for idx in indexes:
            idx_by_oid[idx["oid"]].append(_index(idx))
        return [
            ScannedObject(
                schema=rel["schema"],
                name=rel["name"],
                object_type=RELKINDS[rel["relkind"]],
                comment=rel["comment"],
                metadata=_metadata(rel),
                columns=tuple(by_oid[rel["oid"]]),
                constraints=tuple(cons_by_oid[rel["oid"]])
                + _column_constraints(by_oid[rel["oid"]]),
                indexes=tuple(idx_by_oid[rel["oid"]]),
                partitioning=_partitioning(rel),
                definition=(rel["definition"] or "").strip() or None,
                stats=Statistics(
                    size_bytes=rel["size_bytes"],
                    row_estimate=rel["row_estimate"],
                    last_analyzed_at=rel["last_analyzed_at"],
                ),
            )
            for rel in relations
        ]

    async def _read_batches(
        self,
        main: asyncpg.Connection,
        helpers: list[asyncpg.Connection],
        snapshot: str,
        batches: list[list[int]],
        report: Progress,
        total: int,
    ) -> tuple[list[asyncpg.Record], list[asyncpg.Record], list[asyncpg.Record]]:
        if not SNAPSHOT_ID.match(snapshot):
            raise SourceError(f"unexpected snapshot id from {self.where}")
        queue: asyncio.Queue[list[int]] = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)
        columns: list[asyncpg.Record] = []
        constraints: list[asyncpg.Record] = []
        indexes: list[asyncpg.Record] = []
        done = 0

        async def work(conn: asyncpg.Connection) -> None:
            nonlocal done
            while not queue.empty():
                batch = queue.get_nowait()
                columns.extend(await conn.fetch(COLUMNS_SQL, batch))
                constraints.extend(await conn.fetch(CONSTRAINTS_SQL, batch))
                indexes.extend(await conn.fetch(INDEXES_SQL, batch))
                done += len(batch)
                report(done, total)

        async def helper(conn: asyncpg.Connection) -> None:
            async with conn.transaction(readonly=True, isolation="repeatable_read"):
                await conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                await work(conn)

        await asyncio.gather(work(main), *(helper(c) for c in helpers))
        # Batches finish in any order: restore catalog order for stable results.
        columns.sort(key=lambda r: (r["oid"], r["ordinal"]))
        return columns, constraints, indexes


def _constraint(con: asyncpg.Record) -> ScannedConstraint:
    foreign = con["contype"] == "f"
    return ScannedConstraint(
        constraint_type=CONSTRAINT_TYPES[con["contype"]],
        name=con["name"],
        columns=tuple(con["columns"]),
        referenced_schema=con["ref_schema"] if foreign else None,
        referenced_table=con["ref_table"] if foreign else None,
        referenced_columns=tuple(con["ref_columns"]) if foreign else (),
        on_delete=FK_ACTIONS.get(con["on_delete"]) if foreign else None,
        on_update=FK_ACTIONS.get(con["on_update"]) if foreign else None,
        check_expression=con["check_def"],
        deferrable=con["deferrable"],
    )


def _column_constraints(columns: list[ScannedColumn]) -> tuple[ScannedConstraint, ...]:
    """NOT NULL and DEFAULT live on pg_attribute, not pg_constraint: one entry per column."""
    out: list[ScannedConstraint] = []
    for col in columns:
        if not col.nullable:
            out.append(ScannedConstraint("not_null", None, (col.name,)))
        if col.default_expression is not None:
            out.append(
                ScannedConstraint(
                    "default", None, (col.name,), default_expression=col.default_expression
                )
            )
    return tuple(out)


def _index(idx: asyncpg.Record) -> ScannedIndex:
    return ScannedIndex(
        name=idx["name"],
        index_type=idx["index_type"],
        unique=idx["is_unique"],
        primary=idx["is_primary"],
        columns=tuple(idx["columns"]),
        expressions=tuple(idx["expressions"]),
        predicate=idx["predicate"],
        definition=idx["definition"],
    )


def _partitioning(rel: asyncpg.Record) -> Partitioning | None:
    if rel["partition_strategy"] is None:
        return None
    return Partitioning(
        strategy=PARTITION_STRATEGIES.get(rel["partition_strategy"], rel["partition_strategy"]),
        key=tuple(rel["partition_columns"] or ()),
        expression=rel["partition_key_def"] or "",
    )


def _metadata(rel: asyncpg.Record) -> dict[str, Any]:
    meta: dict[str, Any] = {"owner": rel["owner"]}
    if rel["comment"]:
        meta["comment"] = rel["comment"]
    if rel["is_partition"]:
        meta["is_partition"] = True
    if rel["definition"]:
        meta["definition"] = rel["definition"].strip()
    return meta

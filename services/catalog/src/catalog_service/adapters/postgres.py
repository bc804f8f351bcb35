"""PostgreSQL metadata from the system catalogs, read in two queries per scan
(relations, then all their columns) over one read-only connection."""

from __future__ import annotations

import os
import ssl as ssl_lib
from collections import defaultdict
from typing import Any

import asyncpg

from catalog_service.adapters.base import SourceError
from catalog_service.domain.models import ScannedColumn, ScannedObject

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
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition
FROM pg_class c
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


class PostgresAdapter:
    def __init__(self, connection: dict[str, Any], *, statement_timeout_ms: int = 60_000) -> None:
        self.conn = connection
        self.statement_timeout_ms = statement_timeout_ms

    @property
    def where(self) -> str:
        return f"{self.conn['host']}:{self.conn.get('port', 5432)}/{self.conn['database']}"

    async def connect(self) -> asyncpg.Connection:
        timeout = float(self.conn.get("connect_timeout_seconds", 10))
        try:
            return await asyncpg.connect(
                host=self.conn["host"],
                port=int(self.conn.get("port", 5432)),
                user=self.conn["username"],
                password=self.conn.get("password") or None,
                database=self.conn["database"],
                ssl=_ssl(self.conn.get("sslmode", "prefer")),
                timeout=timeout,
                server_settings={
                    "application_name": "datacompass-scan",
                    "default_transaction_read_only": "on",
                    "statement_timeout": str(self.statement_timeout_ms),
                },
            )
        except TimeoutError as exc:
            raise SourceError(
                f"cannot connect to {self.where}: timed out after {timeout:g}s"
            ) from exc
        except asyncpg.InvalidPasswordError as exc:
            raise SourceError(f"cannot connect to {self.where}: authentication failed") from exc
        except asyncpg.InvalidCatalogNameError as exc:
            raise SourceError(f"cannot connect to {self.where}: database does not exist") from exc
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise SourceError(f"cannot connect to {self.where}: {_reason(exc)}") from exc

    async def scan(self) -> list[ScannedObject]:
        conn = await self.connect()
        try:
            include = self.conn.get("schemas") or None
            excluded = SYSTEM_SCHEMAS + list(self.conn.get("exclude_schemas") or [])
            async with conn.transaction(readonly=True, isolation="repeatable_read"):
                relations = await conn.fetch(RELATIONS_SQL, list(RELKINDS), excluded, include)
                columns = await conn.fetch(COLUMNS_SQL, [r["oid"] for r in relations])
        except asyncpg.QueryCanceledError as exc:
            raise SourceError(f"metadata query on {self.where} hit the statement timeout") from exc
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise SourceError(f"reading metadata from {self.where} failed: {_reason(exc)}") from exc
        finally:
            await conn.close()
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
        return [
            ScannedObject(
                schema=rel["schema"],
                name=rel["name"],
                object_type=RELKINDS[rel["relkind"]],
                comment=rel["comment"],
                metadata=_metadata(rel),
                columns=tuple(by_oid[rel["oid"]]),
            )
            for rel in relations
        ]


def _metadata(rel: asyncpg.Record) -> dict[str, Any]:
    meta: dict[str, Any] = {"owner": rel["owner"]}
    if rel["comment"]:
        meta["comment"] = rel["comment"]
    if rel["is_partition"]:
        meta["is_partition"] = True
    if rel["row_estimate"] is not None:
        meta["row_estimate"] = rel["row_estimate"]
    if rel["definition"]:
        meta["definition"] = rel["definition"].strip()
    return meta


def _ssl(mode: str) -> Any:
    if mode in ("disable", "allow", "prefer", "require"):
        return mode
    ctx = ssl_lib.create_default_context()
    ctx.check_hostname = mode == "verify-full"
    return ctx


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno:
        # "connection refused", not "[Errno 111] Connect call failed ('10.0.0.5', 5432)":
        # asyncio puts its own text in strerror, so name the errno instead.
        return os.strerror(exc.errno).lower()
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]

"""A fake Databricks SQL warehouse at the DB-API cursor boundary.

Rows are shaped like a Unity Catalog warehouse's (column names and value types from the
Databricks docs for information_schema.tables/columns/views/table_constraints/
key_column_usage/referential_constraints/constraint_column_usage and DESCRIBE DETAIL), with
columns the reader does not select. The cursor answers with the columns the reader's SQL
actually selects (parsed with sqlglot), so a misspelt column in the SQL fails the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import sqlglot

CATALOG = "main"

TABLES = [
    {
        "table_catalog": CATALOG,
        "table_schema": "sales",
        "table_name": "customers",
        "table_type": "MANAGED",
        "is_insertable_into": "YES",
        "commit_action": "PRESERVE",
        "table_owner": "data-eng@example.com",
        "comment": "People who buy things",
        "created": "2025-01-02T10:00:00Z",
        "created_by": "data-eng@example.com",
        "last_altered": "2025-03-01T09:00:00Z",
        "last_altered_by": "data-eng@example.com",
        "data_source_format": "DELTA",
        "storage_sub_directory": None,
    },
    {
        "table_catalog": CATALOG,
        "table_schema": "sales",
        "table_name": "orders",
        "table_type": "MANAGED",
        "is_insertable_into": "YES",
        "commit_action": "PRESERVE",
        "table_owner": "data-eng@example.com",
        "comment": None,
        "created": "2025-01-02T10:00:00Z",
        "created_by": "data-eng@example.com",
        "last_altered": "2025-03-01T09:00:00Z",
        "last_altered_by": "data-eng@example.com",
        "data_source_format": "DELTA",
        "storage_sub_directory": None,
    },
    {
        "table_catalog": CATALOG,
        "table_schema": "sales",
        "table_name": "raw_events",
        "table_type": "EXTERNAL",
        "is_insertable_into": "YES",
        "commit_action": "PRESERVE",
        "table_owner": "ingest",
        "comment": None,
        "created": "2025-01-02T10:00:00Z",
        "created_by": "ingest",
        "last_altered": "2025-01-02T10:00:00Z",
        "last_altered_by": "ingest",
        "data_source_format": "PARQUET",
        "storage_sub_directory": None,
    },
    {
        "table_catalog": CATALOG,
        "table_schema": "sales",
        "table_name": "big_orders",
        "table_type": "VIEW",
        "is_insertable_into": "NO",
        "commit_action": "PRESERVE",
        "table_owner": "analyst",
        "comment": "Orders over 100",
        "created": "2025-02-01T00:00:00Z",
        "created_by": "analyst",
        "last_altered": "2025-02-01T00:00:00Z",
        "last_altered_by": "analyst",
        "data_source_format": None,
        "storage_sub_directory": None,
    },
    {
        "table_catalog": CATALOG,
        "table_schema": "scratch",
        "table_name": "tmp",
        "table_type": "MANAGED",
        "is_insertable_into": "YES",
        "commit_action": "PRESERVE",
        "table_owner": "someone",
        "comment": None,
        "created": "2025-02-01T00:00:00Z",
        "created_by": "someone",
        "last_altered": "2025-02-01T00:00:00Z",
        "last_altered_by": "someone",
        "data_source_format": "DELTA",
        "storage_sub_directory": None,
    },
]


def _col(table: str, name: str, pos: int, type_: str, nullable: bool, **kw: Any) -> dict[str, Any]:
    return {
        "table_catalog": CATALOG,
        "table_schema": "sales",
        "table_name": table,
        "column_name": name,
        "ordinal_position": pos,
        "column_default": kw.get("default"),
        "is_nullable": "YES" if nullable else "NO",
        "full_data_type": type_,
        "data_type": type_.split("(")[0].upper(),
        "character_maximum_length": None,
        "numeric_precision": None,
        "partition_index": kw.get("partition_index"),
        "comment": kw.get("comment"),
        "is_identity": "NO",
        "is_generated": "NEVER",
    }


COLUMNS = [
    _col("customers", "id", 0, "bigint", False),
    _col("customers", "email", 1, "string", False, comment="Primary contact"),
    _col("orders", "id", 0, "bigint", False),
    _col("orders", "customer_id", 1, "bigint", True),
    _col("orders", "amount", 2, "decimal(12,2)", True),
    _col("orders", "order_date", 3, "date", True, partition_index=0),
    _col("raw_events", "payload", 0, "string", True),
    _col("big_orders", "id", 0, "bigint", True),
    _col("big_orders", "amount", 1, "decimal(12,2)", True),
]

VIEWS = [
    {
        "table_catalog": CATALOG,
        "table_schema": "sales",
        "table_name": "big_orders",
        "view_definition": "SELECT id, amount FROM main.sales.orders WHERE amount > 100",
        "check_option": "NONE",
        "is_updatable": "NO",
        "is_insertable_into": "NO",
        "sql_path": None,
        "is_materialized": False,
    }
]

# The joined rows of table_constraints x key_column_usage x referential_constraints x
# constraint_column_usage, as the reader's SELECT names them.
CONSTRAINTS = [
    {
        "table_schema": "sales",
        "table_name": "customers",
        "constraint_name": "customers_pk",
        "constraint_type": "PRIMARY KEY",
        "column_name": "id",
        "ordinal_position": 1,
        "update_rule": None,
        "delete_rule": None,
        "ref_schema": None,
        "ref_table": None,
        "ref_column": None,
    },
    {
        "table_schema": "sales",
        "table_name": "orders",
        "constraint_name": "orders_customer_fk",
        "constraint_type": "FOREIGN KEY",
        "column_name": "customer_id",
        "ordinal_position": 1,
        "update_rule": "NO ACTION",
        "delete_rule": "NO ACTION",
        "ref_schema": "sales",
        "ref_table": "customers",
        "ref_column": "id",
    },
]


def _detail(name: str, partitions: list[str], size: int) -> dict[str, Any]:
    return {
        "format": "delta",
        "id": f"id-{name}",
        "name": f"{CATALOG}.sales.{name}",
        "description": None,
        "location": f"s3://lake/sales/{name}",
        "createdAt": "2025-01-02T10:00:00Z",
        "lastModified": "2025-03-01T09:00:00Z",
        "partitionColumns": partitions,
        "clusteringColumns": [],
        "numFiles": 12,
        "sizeInBytes": size,
        "properties": {"delta.enableChangeDataFeed": "true"},
        "minReaderVersion": 1,
        "minWriterVersion": 2,
        "tableFeatures": ["appendOnly", "invariants"],
    }


DETAILS = {
    "customers": _detail("customers", [], 40_960),
    "orders": _detail("orders", ["order_date"], 1_048_576),
    "tmp": _detail("tmp", [], 1),
}

RESULTS: dict[str, list[dict[str, Any]]] = {
    "information_schema.tables": TABLES,
    "information_schema.columns": COLUMNS,
    "information_schema.views": VIEWS,
    "information_schema.table_constraints": CONSTRAINTS,
}


class FakeWarehouse:
    """Connection factory; counts connections and concurrent statements."""

    def __init__(self, *, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.delay = delay
        self.fail_on = fail_on
        self.statements: list[str] = []
        self.connections = 0
        self.running = 0
        self.max_running = 0
        self.lock = threading.Lock()

    def __call__(self) -> FakeConnection:
        with self.lock:
            self.connections += 1
        return FakeConnection(self)


class FakeConnection:
    def __init__(self, warehouse: FakeWarehouse) -> None:
        self.warehouse = warehouse
        self.closed = False

    def cursor(self) -> FakeCursor:
        return FakeCursor(self.warehouse)

    def close(self) -> None:
        self.closed = True


class FakeCursor:
    def __init__(self, warehouse: FakeWarehouse) -> None:
        self.w = warehouse
        self.description: Sequence[Sequence[Any]] | None = None
        self.rows: list[tuple[Any, ...]] = []

    def execute(self, operation: str, parameters: Any = None) -> None:
        w = self.w
        with w.lock:
            w.statements.append(operation)
            w.running += 1
            w.max_running = max(w.max_running, w.running)
        try:
            if w.delay:
                time.sleep(w.delay)
            if w.fail_on and w.fail_on in operation:
                raise RuntimeError("[TABLE_OR_VIEW_NOT_FOUND] The table cannot be found.")
            self._answer(operation)
        finally:
            with w.lock:
                w.running -= 1

    def _answer(self, sql: str) -> None:
        if sql.startswith("DESCRIBE DETAIL"):
            name = sql.rsplit(".", 1)[-1].strip("`")
            rows = [DETAILS[name]]
            names = list(rows[0])
        else:
            source = next(key for key in RESULTS if key in sql)
            assert f"`{CATALOG}`.{source}" in sql, sql
            rows = RESULTS[source]
            names = sqlglot.parse_one(sql, read="databricks").named_selects
        # KeyError here = the reader selects a column a warehouse does not have.
        self.rows = [tuple(row[n] for n in names) for row in rows]
        self.description = [(n, "string", None, None, None, None, None) for n in names]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def close(self) -> None:
        pass


class QueryWarehouse(FakeWarehouse):
    """A warehouse for the query executor: records each statement with its parameters and
    answers with `rows` (dicts, one key per selected column)."""

    def __init__(self, rows: list[dict[str, Any]], **kw: Any) -> None:
        super().__init__(**kw)
        self.answer = rows
        self.calls: list[tuple[str, Any]] = []

    def __call__(self) -> FakeConnection:
        with self.lock:
            self.connections += 1
        return _QueryConnection(self)


class _QueryConnection(FakeConnection):
    warehouse: QueryWarehouse

    def cursor(self) -> FakeCursor:
        return _QueryCursor(self.warehouse)


class _QueryCursor(FakeCursor):
    w: QueryWarehouse

    def execute(self, operation: str, parameters: Any = None) -> None:
        self.w.calls.append((operation, parameters))
        super().execute(operation, parameters)

    def _answer(self, sql: str) -> None:
        names = list(self.w.answer[0]) if self.w.answer else []
        self.rows = [tuple(row[n] for n in names) for row in self.w.answer]
        self.description = [(n, "string", None, None, None, None, None) for n in names]

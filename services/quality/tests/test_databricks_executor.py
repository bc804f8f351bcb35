"""Metric runs on Databricks through the real executor and dialect, with a fake at the DB-API
cursor boundary (no warehouse here): the SQL and named parameters reach the cursor, rows come
back as measurements, a warehouse error becomes a per-metric error after the split."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from dcconnectors.databricks.executor import DatabricksExecutor
from quality_service.application.dq_measure import RateLimiter, measure
from quality_service.domain.dq_sql import MetricRequest, ScanSpec

D = date(2026, 5, 1)


class Warehouse:
    """Answers like a SQL warehouse: one row per bucket with the aliases the query asks for;
    fails any statement that contains `fail_on`."""

    def __init__(self, fail_on: str = "") -> None:
        self.fail_on = fail_on
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def __call__(self) -> Connection:
        return Connection(self)


class Connection:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def cursor(self) -> Cursor:
        return Cursor(self.warehouse)

    def close(self) -> None:
        pass


class Cursor:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.description: list[tuple[str]] | None = None
        self.rows: list[tuple[Any, ...]] = []

    def execute(self, operation: str, parameters: Any = None) -> None:
        self.warehouse.statements.append((operation, dict(parameters or {})))
        if self.warehouse.fail_on and self.warehouse.fail_on in operation:
            raise RuntimeError("[UNRESOLVED_ROUTINE] Cannot resolve function `percentile`")
        aliases = re.findall(r" AS (m\d+)", operation)
        self.description = [("bucket",), *[(a,) for a in aliases]]
        self.rows = [(D + timedelta(days=i), *[float(i + 1)] * len(aliases)) for i in range(2)]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def close(self) -> None:
        pass


CONN = {"server_hostname": "adb-1.azuredatabricks.net", "http_path": "/sql/x", "catalog": "main"}


def _spec() -> ScanSpec:
    return ScanSpec(
        table=("main", "sales", "orders"),
        date_column="order_ts",
        date_family="timestamptz",
        date_format="",
        grain="daily",
        timezone="Europe/Berlin",
        start=D,
        end_exclusive=D + timedelta(days=2),
        metrics=(MetricRequest("row_count", ""), MetricRequest("median", "amount")),
    )


async def test_one_statement_with_named_parameters() -> None:
    warehouse = Warehouse()
    executor = DatabricksExecutor(CONN, statement_timeout_ms=5000, connect=warehouse)
    got = await measure(executor, _spec(), RateLimiter(0))
    await executor.close()
    ((sql, params),) = warehouse.statements
    assert "FROM `main`.`sales`.`orders`" in sql and "percentile(`amount`, 0.5)" in sql
    assert params == {"start": D, "end": D + timedelta(days=2), "tz": "Europe/Berlin"}
    assert got[D][("row_count", "")].value == 1.0
    assert got[D + timedelta(days=1)][("median", "amount")].value == 2.0


async def test_a_rejected_aggregate_is_an_error_for_that_metric_only() -> None:
    warehouse = Warehouse(fail_on="percentile(")
    executor = DatabricksExecutor(CONN, statement_timeout_ms=5000, connect=warehouse)
    got = await measure(executor, _spec(), RateLimiter(0))
    await executor.close()
    assert len(warehouse.statements) == 3  # the batch, then each half
    assert got[D][("row_count", "")].value == 1.0
    median = got[D][("median", "amount")]
    assert median.value is None and "UNRESOLVED_ROUTINE" in median.error

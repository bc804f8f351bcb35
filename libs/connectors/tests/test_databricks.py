"""The Databricks connector's real SQL, parsing and connection handling, against a fake
warehouse at the DB-API cursor boundary (no warehouse is reachable from here)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from databricks_fake import FakeWarehouse, QueryWarehouse

from dcconnectors import registry
from dcconnectors.databricks.executor import DatabricksExecutor
from dcconnectors.databricks.metadata import DatabricksMetadataReader
from dcconnectors.errors import QueryFailed, SourceError

CONN = {
    "server_hostname": "adb-123.azuredatabricks.net",
    "http_path": "/sql/1.0/warehouses/abc",
    "access_token": "dapi-secret",
    "catalog": "main",
}


class Sql:
    def __init__(self, sql: str, params: Any = None) -> None:
        self.sql, self.params = sql, params


def reader(warehouse: FakeWarehouse, **kw: Any) -> DatabricksMetadataReader:
    conn = {**CONN, **kw.pop("conn", {})}
    return DatabricksMetadataReader(conn, connect=warehouse, **kw)


async def test_scan_reads_unity_catalog_metadata() -> None:
    warehouse = FakeWarehouse()
    seen: list[tuple[int, int]] = []
    found = await reader(warehouse, conn={"exclude_schemas": ["scratch"]}).scan(
        lambda d, t: seen.append((d, t))
    )
    by_name = {o.name: o for o in found}
    assert sorted(by_name) == ["big_orders", "customers", "orders", "raw_events"]
    assert {n: o.object_type for n, o in by_name.items()} == {
        "big_orders": "view",
        "customers": "table",
        "orders": "table",
        "raw_events": "table",
    }
    orders = by_name["orders"]
    assert [(c.name, c.ordinal, c.data_type, c.nullable) for c in orders.columns][:3] == [
        ("id", 1, "bigint", False),
        ("customer_id", 2, "bigint", True),
        ("amount", 3, "decimal(12,2)", True),
    ]
    (fk,) = [c for c in orders.constraints if c.constraint_type == "foreign_key"]
    assert (fk.referenced_schema, fk.referenced_table, fk.referenced_columns) == (
        "sales",
        "customers",
        ("id",),
    )
    assert fk.columns == ("customer_id",) and not fk.enforced
    assert orders.partitioning is not None and orders.partitioning.key == ("order_date",)
    assert orders.storage_format == "delta" and orders.stats.size_bytes == 1_048_576
    # Volatile details (lastModified, numFiles) are not kept: they are not schema.
    assert orders.metadata == {
        "owner": "data-eng@example.com",
        "table_type": "MANAGED",
        "location": "s3://lake/sales/orders",
    }
    customers = by_name["customers"]
    assert customers.comment == "People who buy things"
    assert [c.constraint_type for c in customers.constraints] == [
        "primary_key",
        "not_null",
        "not_null",
    ]
    assert by_name["raw_events"].storage_format == "parquet"
    assert by_name["raw_events"].stats.size_bytes is None
    assert by_name["big_orders"].definition == (
        "SELECT id, amount FROM main.sales.orders WHERE amount > 100"
    )
    # DESCRIBE DETAIL only for Delta tables, and only wanted ones.
    described = [s for s in warehouse.statements if s.startswith("DESCRIBE DETAIL")]
    assert sorted(described) == [
        "DESCRIBE DETAIL `main`.`sales`.`customers`",
        "DESCRIBE DETAIL `main`.`sales`.`orders`",
    ]
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)


async def test_describe_runs_on_a_bounded_pool() -> None:
    warehouse = FakeWarehouse(delay=0.05)
    await reader(warehouse, parallelism=2).scan()
    assert warehouse.connections == 2 and warehouse.max_running <= 2


async def test_errors_and_timeouts_are_source_errors() -> None:
    with pytest.raises(SourceError, match="TABLE_OR_VIEW_NOT_FOUND"):
        await reader(FakeWarehouse(fail_on="DESCRIBE DETAIL")).scan()
    with pytest.raises(SourceError, match=r"timed out after 0\.05s"):
        await reader(FakeWarehouse(delay=0.3), statement_timeout_ms=50).scan()
    with pytest.raises(SourceError, match=r"invalid catalog name"):
        reader(FakeWarehouse(), conn={"catalog": "main`; DROP"})


@pytest.fixture
def patched_sql_connect(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """databricks-sql-connector's own `databricks.sql.connect`, answering from a fake."""
    import databricks.sql

    calls: list[dict[str, object]] = []
    warehouse = QueryWarehouse([{"n": 3}])

    def fake_connect(**kwargs: object) -> object:
        calls.append(kwargs)
        if kwargs["server_hostname"] == "metadata":
            return FakeWarehouse()()
        return warehouse()

    monkeypatch.setattr(databricks.sql, "connect", fake_connect)
    return calls


async def test_registry_reader_connects_through_databricks_sql(
    patched_sql_connect: list[dict[str, object]],
) -> None:
    """Without an injected factory the reader connects through the installed connector."""
    conn = {**CONN, "server_hostname": "metadata", "connect_timeout_seconds": 7}
    found = await registry.metadata_reader(
        "databricks", conn, statement_timeout_ms=5000, parallelism=2
    ).scan()
    assert {o.name for o in found} >= {"orders", "customers"}
    assert patched_sql_connect[0] == {
        "server_hostname": "metadata",
        "http_path": "/sql/1.0/warehouses/abc",
        "access_token": "dapi-secret",
        "_socket_timeout": 7.0,
    }
    assert len(patched_sql_connect) == 2  # the pool: one connection per parallel DESCRIBE


async def test_registry_executor_runs_named_parameters_on_a_pool(
    patched_sql_connect: list[dict[str, object]],
) -> None:
    executor = registry.get("databricks").executor
    assert executor is not None
    run = executor(CONN, statement_timeout_ms=5000)
    assert run.dialect.name == "databricks"
    assert run.table_path("sales", "orders") == ("main", "sales", "orders")
    params = run.dialect.params()
    sql = f"SELECT count(*) AS n FROM {run.dialect.table(('main', 'sales', 'orders'))} "
    sql += f"WHERE day >= {params(date(2026, 5, 1), 'date', name='start')}"
    assert await run.fetch(Sql(sql, params.bound)) == [{"n": 3}]
    assert await run.fetch(Sql("SELECT 1 AS n")) == [{"n": 3}]
    await run.close()
    assert len(patched_sql_connect) == 1  # the connection was reused


async def test_executor_failures_are_query_failed_without_secrets() -> None:
    warehouse = QueryWarehouse([{"n": 1}], fail_on="nope")
    run = DatabricksExecutor(CONN, statement_timeout_ms=5000, connect=warehouse)
    params = run.dialect.params()
    ref = params(7)
    assert await run.fetch(Sql(f"SELECT {ref} AS n", params.bound)) == [{"n": 1}]
    assert warehouse.calls[0] == ("SELECT :p1 AS n", {"p1": 7})
    with pytest.raises(QueryFailed, match="TABLE_OR_VIEW_NOT_FOUND") as err:
        await run.fetch(Sql("SELECT nope"))
    assert "dapi-secret" not in str(err.value) and CONN["server_hostname"] in str(err.value)
    slow = DatabricksExecutor(
        CONN, statement_timeout_ms=50, connect=QueryWarehouse([{"n": 1}], delay=0.3)
    )
    with pytest.raises(QueryFailed, match=r"timed out after 0\.05s"):
        await slow.fetch(Sql("SELECT 1 AS n"))
    await run.close()
    await slow.close()


async def test_a_connection_that_cannot_open_is_a_source_error() -> None:
    def refuse() -> Any:
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    run = DatabricksExecutor(CONN, statement_timeout_ms=5000, connect=refuse)
    with pytest.raises(SourceError, match=r"cannot connect to adb-123\.azuredatabricks\.net/main"):
        await run.fetch(Sql("SELECT 1"))

"""The Databricks adapter's real SQL and parsing, against a fake warehouse at the DB-API
cursor boundary (no warehouse is reachable from here)."""

from __future__ import annotations

import grpc
import pytest
from catalog_testkit import struct
from databricks_fake import FakeWarehouse

from catalog_service.adapters.base import SourceError
from catalog_service.adapters.databricks import DatabricksAdapter
from catalog_service.domain.view_lineage import parse_view
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc

CONN = {
    "server_hostname": "adb-123.azuredatabricks.net",
    "http_path": "/sql/1.0/warehouses/abc",
    "access_token": "dapi-secret",
    "catalog": "main",
}


def adapter(warehouse: FakeWarehouse, **kw: object) -> DatabricksAdapter:
    conn = {**CONN, **kw.pop("conn", {})}  # type: ignore[dict-item]
    return DatabricksAdapter(conn, connect=warehouse, **kw)  # type: ignore[arg-type]


async def test_scan_reads_unity_catalog_metadata() -> None:
    warehouse = FakeWarehouse()
    seen: list[tuple[int, int]] = []
    found = await adapter(warehouse, conn={"exclude_schemas": ["scratch"]}).scan(
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
    assert orders.metadata["location"] == "s3://lake/sales/orders"
    customers = by_name["customers"]
    assert customers.comment == "People who buy things"
    assert [c.constraint_type for c in customers.constraints] == [
        "primary_key",
        "not_null",
        "not_null",
    ]
    assert by_name["raw_events"].storage_format == "parquet"
    assert by_name["raw_events"].stats.size_bytes is None
    view = by_name["big_orders"]
    assert view.definition and parse_view(view.definition, {}).tables == [("sales", "orders")]
    # DESCRIBE DETAIL only for Delta tables, and only wanted ones.
    described = [s for s in warehouse.statements if s.startswith("DESCRIBE DETAIL")]
    assert sorted(described) == [
        "DESCRIBE DETAIL `main`.`sales`.`customers`",
        "DESCRIBE DETAIL `main`.`sales`.`orders`",
    ]
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    # Volatile details (lastModified, numFiles) are not part of the content hash.
    again = await adapter(FakeWarehouse(), conn={"exclude_schemas": ["scratch"]}).scan()
    assert [o.content_hash() for o in again] == [o.content_hash() for o in found]


async def test_describe_runs_on_a_bounded_pool() -> None:
    warehouse = FakeWarehouse(delay=0.05)
    await adapter(warehouse, parallelism=2).scan()
    assert warehouse.connections == 2 and warehouse.max_running <= 2


async def test_errors_and_timeouts_are_source_errors() -> None:
    with pytest.raises(SourceError, match="TABLE_OR_VIEW_NOT_FOUND"):
        await adapter(FakeWarehouse(fail_on="DESCRIBE DETAIL")).scan()
    with pytest.raises(SourceError, match=r"timed out after 0\.05s"):
        await adapter(FakeWarehouse(delay=0.3), statement_timeout_ms=50).scan()
    with pytest.raises(SourceError, match=r"invalid catalog name"):
        adapter(FakeWarehouse(), conn={"catalog": "main`; DROP"})


async def test_databricks_source_settings_are_validated(
    stub: catalog_pb2_grpc.CatalogServiceStub,
) -> None:
    source = await stub.CreateSource(
        pb.CreateSourceRequest(name="lake", source_type="databricks", connection=struct(CONN))
    )
    assert source.source_type == "databricks" and "access_token" in source.connection_keys
    for bad in (
        {k: v for k, v in CONN.items() if k != "http_path"},
        {**CONN, "catalog": "main`x"},
        {**CONN, "warehouse": "x"},
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.CreateSource(
                pb.CreateSourceRequest(
                    name="lake2", source_type="databricks", connection=struct(bad)
                )
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_real_connector_builds_connections_through_databricks_sql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without an injected factory the adapter connects through the installed
    databricks-sql-connector's `databricks.sql.connect` (patched here: no warehouse)."""
    import databricks.sql

    warehouse = FakeWarehouse()
    calls: list[dict[str, object]] = []

    def fake_connect(**kwargs: object) -> object:
        calls.append(kwargs)
        return warehouse()

    monkeypatch.setattr(databricks.sql, "connect", fake_connect)
    found = await DatabricksAdapter({**CONN, "connect_timeout_seconds": 7}, parallelism=2).scan()
    assert {o.name for o in found} >= {"orders", "customers"}
    assert calls and calls[0] == {
        "server_hostname": "adb-123.azuredatabricks.net",
        "http_path": "/sql/1.0/warehouses/abc",
        "access_token": "dapi-secret",
        "_socket_timeout": 7.0,
    }
    assert len(calls) == warehouse.connections == 2

"""Databricks sources through the catalog service (the connector itself, with a fake
warehouse, is tested in libs/connectors/tests/test_databricks.py)."""

from __future__ import annotations

import grpc
import pytest
from catalog_testkit import struct

from catalog_service.domain.view_lineage import parse_view
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc

CONN = {
    "server_hostname": "adb-123.azuredatabricks.net",
    "http_path": "/sql/1.0/warehouses/abc",
    "access_token": "dapi-secret",
    "catalog": "main",
}


def test_view_lineage_of_a_unity_catalog_view() -> None:
    sql = "SELECT id, amount FROM main.sales.orders WHERE amount > 100"
    assert parse_view(sql, {}).tables == [("sales", "orders")]


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

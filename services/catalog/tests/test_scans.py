"""Metadata scans of a real PostgreSQL database over real gRPC."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import grpc
import pytest
from catalog_testkit import (
    SOURCE_COLUMNS,
    SOURCE_OBJECTS,
    SourceDb,
    audit_records,
    create_source,
    outbox_rows,
    silent_server,
)
from google.protobuf import json_format
from prometheus_client import REGISTRY

from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import refs_pb2
from devstack.embedded import free_port

Stub = catalog_pb2_grpc.CatalogServiceStub


async def scan(stub: Stub, source: str) -> pb.ScanRun:
    return await stub.StartScan(pb.StartScanRequest(source_name=source, wait=True))


async def get(stub: Stub, ref: str) -> pb.CatalogObject:
    return await stub.GetObject(pb.GetObjectRequest(ref=refs_pb2.ObjectRef(qualified_name=ref)))


async def all_objects(stub: Stub, **filters: Any) -> list[pb.CatalogObject]:
    return list((await stub.ListObjects(pb.ListObjectsRequest(**filters))).items)


async def test_scan_finds_tables_views_and_columns(stub: Stub, source_db: SourceDb) -> None:
    await create_source(stub, "shop", source_db.connection())
    run = await scan(stub, "shop")
    assert run.status == pb.SCAN_STATUS_SUCCEEDED, run.error
    assert run.error == "" and run.source_name == "shop" and run.triggered_by == "system"
    assert run.objects_found == len(SOURCE_OBJECTS)
    assert run.objects_created == len(SOURCE_OBJECTS)
    assert (run.objects_updated, run.objects_deleted) == (0, 0)
    assert run.columns_found == SOURCE_COLUMNS
    assert run.finished_at.ToDatetime() >= run.started_at.ToDatetime()

    objects = await all_objects(stub, source_name="shop")
    found = {(o.schema_name, o.name): (o.object_type, o.column_count) for o in objects}
    assert found == SOURCE_OBJECTS

    customers = await get(stub, "shop.sales.customers")
    assert customers.ref == "shop.sales.customers"
    assert customers.urn == "urn:dcs:postgres:table:shop.sales:customers"
    assert customers.source_type == "postgres" and not customers.deleted
    assert customers.description == "People who buy things"  # the source comment
    meta = json_format.MessageToDict(customers.source_metadata)
    assert meta["comment"] == "People who buy things" and meta["owner"]
    cols = {c.name: c for c in customers.columns}
    assert [c.name for c in customers.columns] == ["id", "email", "name", "created_at"]
    assert [c.ordinal for c in customers.columns] == [1, 2, 3, 4]
    assert cols["id"].data_type == "bigint" and not cols["id"].nullable
    assert cols["id"].default_expression.startswith("nextval(")
    assert cols["email"].data_type == "text" and not cols["email"].nullable
    assert cols["email"].comment == "Primary contact address"
    assert cols["name"].data_type == "character varying(100)" and cols["name"].nullable
    assert cols["name"].default_expression == "" and cols["name"].comment == ""
    assert cols["created_at"].data_type == "timestamp with time zone"
    assert cols["created_at"].default_expression == "now()"
    assert cols["email"].urn == customers.urn + ".email"

    orders = await get(stub, "shop.sales.orders")
    amount = next(c for c in orders.columns if c.name == "amount")
    assert amount.data_type == "numeric(12,2)" and amount.default_expression == "0"
    assert orders.description == ""

    view = await get(stub, "shop.sales.big_orders")
    assert view.object_type == "view" and view.description == "Orders over 100"
    assert "amount > " in json_format.MessageToDict(view.source_metadata)["definition"]
    matview = await get(stub, "shop.sales.order_totals")
    assert matview.object_type == "materialized_view"
    assert matview.description == "Revenue per customer"
    assert [c.name for c in matview.columns] == ["customer_id", "total"]

    source = await stub.GetSource(pb.GetSourceRequest(name="shop"))
    assert source.last_scan == run

    # The objects gauge counts live objects per type as of this scan (zeros included).
    def gauge(object_type: str) -> float | None:
        labels = {"source": "shop", "object_type": object_type}
        return REGISTRY.get_sample_value("dc_catalog_objects", labels)

    tables = sum(1 for kind, _ in SOURCE_OBJECTS.values() if kind == "table")
    assert (gauge("table"), gauge("view"), gauge("foreign_table")) == (tables, 1, 0)
    assert await stub.GetScan(pb.GetScanRequest(id=run.id)) == run


async def test_unchanged_rescan_writes_nothing(
    stub: Stub, source_db: SourceDb, catalog_db: asyncpg.Connection
) -> None:
    await create_source(stub, "shop", source_db.connection())
    await scan(stub, "shop")
    before = {
        r["id"]: r
        for r in await catalog_db.fetch("SELECT id, updated_at, content_hash FROM catalog.objects")
    }
    column_ids = await catalog_db.fetch("SELECT id FROM catalog.columns ORDER BY id")

    again = await scan(stub, "shop")
    assert again.status == pb.SCAN_STATUS_SUCCEEDED
    assert again.objects_found == len(SOURCE_OBJECTS)
    assert (again.objects_created, again.objects_updated, again.objects_deleted) == (0, 0, 0)
    after = {
        r["id"]: r
        for r in await catalog_db.fetch("SELECT id, updated_at, content_hash FROM catalog.objects")
    }
    assert after == before
    assert await catalog_db.fetch("SELECT id FROM catalog.columns ORDER BY id") == column_ids

    scans = await stub.ListScans(pb.ListScansRequest(source_name="shop"))
    assert [s.id for s in scans.items] == [again.id, again.id - 1]  # newest first


async def test_altered_column_is_updated_and_dropped_table_marked_deleted(
    stub: Stub, source_db: SourceDb
) -> None:
    await create_source(stub, "shop", source_db.connection())
    await scan(stub, "shop")
    first = await get(stub, "shop.sales.orders")

    await source_db.execute(
        "ALTER TABLE sales.orders ALTER COLUMN note TYPE varchar(20);"
        "ALTER TABLE sales.orders ALTER COLUMN note SET NOT NULL;"
        "COMMENT ON COLUMN sales.orders.note IS 'free text';"
        "DROP TABLE public.events;"
    )
    run = await scan(stub, "shop")
    assert run.status == pb.SCAN_STATUS_SUCCEEDED, run.error
    assert (run.objects_created, run.objects_updated, run.objects_deleted) == (0, 1, 1)
    assert run.objects_found == len(SOURCE_OBJECTS) - 1

    orders = await get(stub, "shop.sales.orders")
    note = next(c for c in orders.columns if c.name == "note")
    assert (note.data_type, note.nullable, note.comment) == (
        "character varying(20)",
        False,
        "free text",
    )
    assert orders.id == first.id and orders.first_seen_at == first.first_seen_at
    assert orders.updated_at.ToDatetime() > first.updated_at.ToDatetime()

    # Dropped: kept, marked deleted, hidden from lists unless asked for.
    events = await get(stub, "shop.public.events")
    assert events.deleted and events.column_count == 2
    assert "shop.public.events" not in {o.ref for o in await all_objects(stub)}
    with_deleted = await all_objects(stub, include_deleted=True)
    assert {o.ref: o.deleted for o in with_deleted}["shop.public.events"] is True

    # Re-created: revived as the same object.
    await source_db.execute("CREATE TABLE public.events (id integer, payload jsonb)")
    run = await scan(stub, "shop")
    assert (run.objects_created, run.objects_updated, run.objects_deleted) == (0, 1, 0)
    revived = await get(stub, "shop.public.events")
    assert not revived.deleted and revived.id == events.id

    # Deleting the source deletes its objects.
    gone = await stub.DeleteSource(pb.DeleteSourceRequest(name="shop"))
    assert gone.objects_deleted == len(SOURCE_OBJECTS)
    assert await all_objects(stub, include_deleted=True) == []


async def test_schema_filters(stub: Stub, source_db: SourceDb) -> None:
    await create_source(stub, "only-sales", source_db.connection(schemas=["sales"]))
    await create_source(stub, "no-sales", source_db.connection(exclude_schemas=["sales"]))
    assert (await scan(stub, "only-sales")).objects_found == 4
    assert (await scan(stub, "no-sales")).objects_found == 1
    refs = {o.ref for o in await all_objects(stub, source_name="no-sales")}
    assert refs == {"no-sales.public.events"}


async def test_unreachable_source_fails_with_clear_error(
    stub: Stub, catalog_db: asyncpg.Connection
) -> None:
    port = free_port()  # nothing listens there
    conn = {"host": "127.0.0.1", "port": port, "database": "db", "username": "u", "password": "p"}
    await create_source(stub, "down", conn)
    run = await scan(stub, "down")
    assert run.status == pb.SCAN_STATUS_FAILED
    assert run.error == f"cannot connect to 127.0.0.1:{port}/db: connection refused"
    assert run.finished_at.seconds > 0 and run.objects_found == 0
    stored = await stub.GetScan(pb.GetScanRequest(id=run.id))
    assert stored == run
    source = await stub.GetSource(pb.GetSourceRequest(name="down"))
    assert source.last_scan.status == pb.SCAN_STATUS_FAILED
    row = await catalog_db.fetchrow("SELECT status, error FROM catalog.scan_runs")
    assert row is not None and row["status"] == "failed" and "connection refused" in row["error"]


async def test_missing_database_and_unknown_source(stub: Stub, source_db: SourceDb) -> None:
    await create_source(stub, "nodb", source_db.connection(database="does_not_exist_db"))
    run = await scan(stub, "nodb")
    assert run.status == pb.SCAN_STATUS_FAILED
    assert run.error.endswith("/does_not_exist_db: database does not exist")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await scan(stub, "nope")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetScan(pb.GetScanRequest(id=999))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_concurrent_scan_of_same_source_is_aborted(
    stub: Stub, catalog_db: asyncpg.Connection
) -> None:
    async with silent_server() as port:
        conn = {
            "host": "127.0.0.1",
            "port": port,
            "database": "db",
            "username": "u",
            "connect_timeout_seconds": 1,
        }
        await create_source(stub, "hung", conn)
        running = await stub.StartScan(pb.StartScanRequest(source_name="hung"))
        assert running.status == pb.SCAN_STATUS_RUNNING and running.finished_at.seconds == 0

        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.StartScan(pb.StartScanRequest(source_name="hung", wait=True))
        assert err.value.code() == grpc.StatusCode.ABORTED
        assert "already running" in (err.value.details() or "")

        for _ in range(100):
            done = await stub.GetScan(pb.GetScanRequest(id=running.id))
            if done.status != pb.SCAN_STATUS_RUNNING:
                break
            await asyncio.sleep(0.05)
    assert done.status == pb.SCAN_STATUS_FAILED
    assert done.error == f"cannot connect to 127.0.0.1:{port}/db: timed out after 1s"
    # The rejected attempt left no run behind.
    assert await catalog_db.fetchval("SELECT count(*) FROM catalog.scan_runs") == 1
    # Once finished, the source can be scanned again.
    again = await stub.StartScan(pb.StartScanRequest(source_name="hung"))
    assert again.id != running.id


async def test_scan_is_audited(
    stub: Stub, source_db: SourceDb, catalog_db: asyncpg.Connection
) -> None:
    await create_source(stub, "shop", source_db.connection())
    run = await stub.StartScan(
        pb.StartScanRequest(source_name="shop", wait=True), metadata=[("x-dc-actor", "bob")]
    )
    assert run.triggered_by == "bob"
    rows = await outbox_rows(catalog_db)
    types = [r["event_type"] for r in rows]
    assert types == [
        "datacompass.audit.recorded",  # source.create
        "datacompass.audit.recorded",  # scan.start
        "datacompass.audit.recorded",  # scan.complete, with what the scan changed
        "datacompass.catalog.scan.completed",  # in the same transaction (record_change)
    ]
    (outcome,) = audit_records(rows, "scan.complete")
    assert outcome.actor == "bob" and outcome.entity_id == str(run.id)
    changes = {c.field: (c.old_json, c.new_json) for c in outcome.changes}
    assert changes["status"] == ('"running"', '"succeeded"')
    assert changes["objects_created"] == ("null", str(run.objects_created))


async def test_source_deleted_during_scan(stub: Stub, catalog_db: asyncpg.Connection) -> None:
    async with silent_server() as port:
        conn = {
            "host": "127.0.0.1",
            "port": port,
            "database": "db",
            "username": "u",
            "connect_timeout_seconds": 1,
        }
        await create_source(stub, "doomed", conn)
        waiting = asyncio.ensure_future(
            stub.StartScan(pb.StartScanRequest(source_name="doomed", wait=True))
        )
        for _ in range(100):
            if await catalog_db.fetchval("SELECT count(*) FROM catalog.scan_runs"):
                break
            await asyncio.sleep(0.02)
        await stub.DeleteSource(pb.DeleteSourceRequest(name="doomed"))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await waiting
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "deleted during the scan" in (err.value.details() or "")
    assert await catalog_db.fetchval("SELECT count(*) FROM catalog.scan_runs") == 0

"""Structural metadata, schema versions, lineage and transformation code, from scans of a real
PostgreSQL database over real gRPC."""

from __future__ import annotations

import asyncio

import asyncpg
import grpc
import pytest
from catalog_testkit import SourceDb, create_source, envelope, outbox_rows

from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import refs_pb2

Stub = catalog_pb2_grpc.CatalogServiceStub

EXTRA_SQL = """
ALTER TABLE sales.orders
    ADD CONSTRAINT orders_amount_positive CHECK (amount >= 0),
    DROP CONSTRAINT orders_customer_id_fkey,
    ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)
        REFERENCES sales.customers (id) ON DELETE CASCADE ON UPDATE RESTRICT;
CREATE UNIQUE INDEX customers_email_lower ON sales.customers (lower(email));
CREATE INDEX orders_big ON sales.orders USING brin (amount) WHERE amount > 100;
CREATE TABLE sales.measurements (
    id bigint, taken_at date NOT NULL, value real
) PARTITION BY RANGE (taken_at);
CREATE TABLE sales.measurements_2026 PARTITION OF sales.measurements
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW sales.customer_revenue AS
    SELECT c.email, sum(o.amount) AS revenue
    FROM sales.customers c JOIN sales.orders o ON o.customer_id = c.id
    GROUP BY c.email;
"""


def ref(name: str) -> refs_pb2.ObjectRef:
    return refs_pb2.ObjectRef(qualified_name=name)


@pytest.fixture
async def shop(stub: Stub, source_db: SourceDb) -> Stub:
    await source_db.execute(EXTRA_SQL)
    await create_source(stub, "shop", source_db.connection())
    run = await stub.StartScan(pb.StartScanRequest(source_name="shop", wait=True))
    assert run.status == pb.SCAN_STATUS_SUCCEEDED, run.error
    return stub


async def constraints(stub: Stub, name: str) -> list[pb.Constraint]:
    return list((await stub.ListConstraints(pb.ListConstraintsRequest(ref=ref(name)))).items)


async def test_constraints_from_the_system_catalogs(shop: Stub) -> None:
    cons = await constraints(shop, "shop.sales.orders")
    by_type: dict[str, list[pb.Constraint]] = {}
    for con in cons:
        by_type.setdefault(con.constraint_type, []).append(con)
    assert [c.columns for c in by_type["primary_key"]] == [["id"]]
    (fk,) = by_type["foreign_key"]
    assert fk.name == "orders_customer_fk" and list(fk.columns) == ["customer_id"]
    assert fk.referenced_object_urn == "urn:dcs:postgres:table:shop.sales:customers"
    assert list(fk.referenced_column_urns) == ["urn:dcs:postgres:table:shop.sales:customers.id"]
    assert (fk.on_delete, fk.on_update) == ("CASCADE", "RESTRICT")
    assert list(fk.column_urns) == ["urn:dcs:postgres:table:shop.sales:orders.customer_id"]
    (check,) = by_type["check"]
    assert check.name == "orders_amount_positive" and "amount >= 0" in check.check_expression
    assert {tuple(c.columns) for c in by_type["not_null"]} == {
        ("id",),
        ("customer_id",),
        ("amount",),
    }
    defaults = {c.columns[0]: c.default_expression for c in by_type["default"]}
    assert defaults["amount"] == "0" and "nextval" in defaults["id"]
    assert all(c.origin == "scanned" and c.enforced for c in cons)


async def test_indexes_partitioning_and_statistics(shop: Stub) -> None:
    resp = await shop.ListIndexes(pb.ListIndexesRequest(ref=ref("shop.sales.customers")))
    idx = {i.name: i for i in resp.items}
    assert idx["customers_pkey"].primary and idx["customers_pkey"].unique
    assert list(idx["customers_pkey"].columns) == ["id"]
    expr = idx["customers_email_lower"]
    assert expr.unique and not expr.primary and expr.index_type == "btree"
    assert list(expr.columns) == [""] and list(expr.expressions) == ["lower(email)"]
    resp = await shop.ListIndexes(pb.ListIndexesRequest(ref=ref("shop.sales.orders")))
    brin = {i.name: i for i in resp.items}["orders_big"]
    assert brin.index_type == "brin" and brin.predicate == "amount > 100::numeric"

    parent = await shop.GetObject(pb.GetObjectRequest(ref=ref("shop.sales.measurements")))
    assert parent.object_type == "partitioned_table"
    assert parent.partitioning.strategy == "range"
    assert list(parent.partitioning.key) == ["taken_at"]
    assert parent.partitioning.expression == "RANGE (taken_at)"
    orders = await shop.GetObject(pb.GetObjectRequest(ref=ref("shop.sales.orders")))
    assert not orders.HasField("partitioning")
    # Never analyzed: size known, row estimate unknown (not 0, not -1).
    assert orders.size_bytes > 0 and not orders.HasField("row_estimate")


async def test_analyze_is_not_a_change_but_statistics_are_stored(
    shop: Stub, source_db: SourceDb
) -> None:
    before = await shop.GetObject(pb.GetObjectRequest(ref=ref("shop.sales.orders")))
    assert not before.HasField("last_analyzed_at")
    await source_db.execute(
        "INSERT INTO sales.customers (email) VALUES ('a@x'); "
        "INSERT INTO sales.orders (customer_id, amount) "
        "SELECT id, 5 FROM sales.customers, generate_series(1, 50); ANALYZE"
    )
    run = await shop.StartScan(pb.StartScanRequest(source_name="shop", wait=True))
    assert run.status == pb.SCAN_STATUS_SUCCEEDED, run.error
    assert (run.objects_created, run.objects_updated) == (0, 0)
    after = await shop.GetObject(pb.GetObjectRequest(ref=ref("shop.sales.orders")))
    assert after.row_estimate == 50 and after.HasField("last_analyzed_at")
    assert after.updated_at == before.updated_at
    versions = await shop.ListVersions(pb.ListVersionsRequest(ref=ref("shop.sales.orders")))
    assert [v.version for v in versions.items] == ["1.0.0"]


async def test_dropped_column_is_a_breaking_version_with_event(
    shop: Stub, source_db: SourceDb, catalog_db: asyncpg.Connection
) -> None:
    await source_db.execute(
        "DROP VIEW sales.customer_revenue; ALTER TABLE sales.customers DROP COLUMN name, "
        "ADD COLUMN phone text; COMMENT ON TABLE sales.orders IS 'only a comment'"
    )
    run = await shop.StartScan(pb.StartScanRequest(source_name="shop", wait=True))
    assert run.status == pb.SCAN_STATUS_SUCCEEDED, run.error
    versions = await shop.ListVersions(pb.ListVersionsRequest(ref=ref("shop.sales.customers")))
    assert [v.version for v in versions.items] == ["2.0.0", "1.0.0"]
    latest = versions.items[0]
    assert latest.breaking and latest.change_type == "schema_change"
    kinds = {(c.kind, c.target, c.breaking) for c in latest.changes}
    assert ("column_removed", "name", True) in kinds
    assert ("column_added", "phone", False) in kinds
    # A comment is not a schema change: orders keeps its single version.
    orders = await shop.ListVersions(pb.ListVersionsRequest(ref=ref("shop.sales.orders")))
    assert [v.version for v in orders.items] == ["1.0.0"]

    diff = await shop.DiffVersions(
        pb.DiffVersionsRequest(ref=ref("shop.sales.customers"), from_version="1")
    )
    assert diff.breaking and diff.bump == "major" and diff.to_version == "2.0.0"
    old = await shop.GetVersion(
        pb.GetVersionRequest(ref=ref("shop.sales.customers"), version="1.0.0")
    )
    assert "name" in [c["name"] for c in old.schema["columns"]]

    events = [
        envelope(r["payload"])
        for r in await outbox_rows(catalog_db)
        if r["event_type"] == "datacompass.catalog.schema.changed"
    ]
    assert len(events) == 1
    payload = pb.SchemaChanged()
    assert events[0].data.Unpack(payload)
    assert payload.breaking and payload.object_ref == "shop.sales.customers"
    assert (payload.previous_version, payload.version, payload.bump) == ("1.0.0", "2.0.0", "major")


async def test_version_errors(shop: Stub) -> None:
    for request, code in (
        (pb.GetVersionRequest(ref=ref("shop.sales.orders"), version="9"), "NOT_FOUND"),
        (pb.GetVersionRequest(ref=ref("shop.sales.orders"), version=""), "INVALID_ARGUMENT"),
        (pb.GetVersionRequest(ref=ref("shop.sales.nope"), version="1"), "NOT_FOUND"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await shop.GetVersion(request)
        assert err.value.code().name == code
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await shop.DiffVersions(pb.DiffVersionsRequest(ref=ref("shop.sales.orders")))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_view_and_foreign_key_lineage(shop: Stub) -> None:
    up = await shop.GetLineage(
        pb.GetLineageRequest(ref=ref("shop.sales.customer_revenue"), direction="upstream")
    )
    assert up.view_parse.confidence == 1.0 and up.view_parse.error == ""
    tables = {(e.upstream_ref, e.edge_type, e.depth) for e in up.edges if not e.upstream_column}
    assert ("shop.sales.customers", "flows_to", 1) in tables
    assert ("shop.sales.orders", "flows_to", 1) in tables
    # customers is upstream of orders through the foreign key: two hops from the view.
    assert ("shop.sales.customers", "references", 2) in tables
    columns = {
        (e.upstream_ref, e.upstream_column, e.downstream_column)
        for e in up.edges
        if e.edge_type == "derived_from"
    }
    assert columns == {
        ("shop.sales.customers", "email", "email"),
        ("shop.sales.orders", "amount", "revenue"),
    }
    # Depth limits the walk.
    one = await shop.GetLineage(
        pb.GetLineageRequest(ref=ref("shop.sales.customer_revenue"), direction="upstream", depth=1)
    )
    assert max(e.depth for e in one.edges) == 1
    down = await shop.GetLineage(
        pb.GetLineageRequest(ref=ref("shop.sales.customers"), direction="downstream", depth=1)
    )
    assert {e.downstream_ref for e in down.edges} == {
        "shop.sales.orders",
        "shop.sales.customer_revenue",
    }
    assert not down.HasField("view_parse")
    # Paging walks the same list.
    everything = await shop.GetLineage(pb.GetLineageRequest(ref=ref("shop.sales.orders")))
    seen, cursor = [], ""
    while True:
        page = await shop.GetLineage(
            pb.GetLineageRequest(ref=ref("shop.sales.orders"), page={"limit": 2, "cursor": cursor})
        )
        seen += [e.id for e in page.edges]
        cursor = page.page.next_cursor
        if not cursor:
            break
    assert seen == [e.id for e in everything.edges] and len(seen) > 2
    for bad in (
        pb.GetLineageRequest(ref=ref("shop.sales.orders"), direction="sideways"),
        pb.GetLineageRequest(ref=ref("shop.sales.orders"), depth=11),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await shop.GetLineage(bad)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_declared_constraint_edge_and_code(shop: Stub) -> None:
    con = await shop.AddConstraint(
        pb.AddConstraintRequest(
            ref=ref("shop.sales.big_orders"),
            constraint_type="foreign_key",
            name="big_orders_id",
            columns=["id"],
            referenced_object=ref("shop.sales.orders"),
            referenced_columns=["id"],
            on_delete="cascade",
        )
    )
    assert con.origin == "declared" and not con.enforced and con.on_delete == "CASCADE"
    assert con.referenced_object_urn == "urn:dcs:postgres:table:shop.sales:orders"
    assert [c.id for c in await constraints(shop, "shop.sales.big_orders")] == [con.id]
    for bad in (
        pb.AddConstraintRequest(
            ref=ref("shop.sales.orders"), constraint_type="magic", columns=["id"]
        ),
        pb.AddConstraintRequest(ref=ref("shop.sales.orders"), constraint_type="unique"),
        pb.AddConstraintRequest(
            ref=ref("shop.sales.orders"), constraint_type="unique", columns=["nope"]
        ),
        pb.AddConstraintRequest(
            ref=ref("shop.sales.orders"), constraint_type="foreign_key", columns=["id"]
        ),
        pb.AddConstraintRequest(
            ref=ref("shop.sales.orders"), constraint_type="check", columns=["id"]
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await shop.AddConstraint(bad)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
    assert [c.id for c in await constraints(shop, "shop.sales.big_orders")] == [con.id]

    edge = await shop.AddLineageEdge(
        pb.AddLineageEdgeRequest(
            upstream=ref("shop.public.events"), downstream=ref("shop.sales.orders"), confidence=0.8
        )
    )
    assert (edge.origin, edge.edge_type, edge.confidence) == ("declared", "flows_to", 0.8)
    assert edge.upstream_urn == "urn:dcs:postgres:table:shop.public:events"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await shop.AddLineageEdge(
            pb.AddLineageEdgeRequest(
                upstream=ref("shop.sales.orders"), downstream=ref("shop.sales.orders")
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await shop.AddLineageEdge(
            pb.AddLineageEdgeRequest(
                upstream=ref("shop.sales.gone"), downstream=ref("shop.sales.orders")
            )
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND

    code = await shop.ListTransformationCode(
        pb.ListTransformationCodeRequest(ref=ref("shop.sales.big_orders"))
    )
    (scanned,) = code.items
    assert scanned.origin == "scanned" and "FROM sales.orders" in scanned.code_text
    added = await shop.AddTransformationCode(
        pb.AddTransformationCodeRequest(
            ref=ref("shop.sales.big_orders"),
            language="dbt",
            code_text="select * from {{ ref('orders') }}",
            file_path="models/big_orders.sql",
            git_repository="https://example.com/analytics.git",
            git_commit_sha="A1B2C3D",
        )
    )
    assert added.origin == "declared" and added.git_commit_sha == "a1b2c3d"
    code = await shop.ListTransformationCode(
        pb.ListTransformationCodeRequest(ref=ref("shop.sales.big_orders"))
    )
    assert [c.id for c in code.items] == [added.id, scanned.id]
    for bad in (
        pb.AddTransformationCodeRequest(ref=ref("shop.sales.big_orders"), language="sql"),
        pb.AddTransformationCodeRequest(
            ref=ref("shop.sales.big_orders"), language="sql", code_text="x", git_commit_sha="zz"
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await shop.AddTransformationCode(bad)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_unparseable_view_is_recorded_not_dropped(stub: Stub, source_db: SourceDb) -> None:
    # A recursive CTE over a function: sqlglot parses it, but cannot trace columns fully.
    await source_db.execute(
        "CREATE VIEW sales.series AS SELECT g AS n FROM generate_series(1, 3) g"
    )
    await create_source(stub, "shop", source_db.connection())
    await stub.StartScan(pb.StartScanRequest(source_name="shop", wait=True))
    lineage = await stub.GetLineage(pb.GetLineageRequest(ref=ref("shop.sales.series")))
    assert lineage.HasField("view_parse")
    assert lineage.view_parse.confidence < 1.0 or lineage.edges == []


async def test_cancel_a_running_scan(
    stub: Stub, source_db: SourceDb, catalog_db: asyncpg.Connection
) -> None:
    await create_source(stub, "shop", source_db.connection())
    # Holding an exclusive lock on a view blocks the scan's pg_get_viewdef.
    blocker = await asyncpg.connect(source_db.url)
    try:
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("LOCK TABLE sales.big_orders IN ACCESS EXCLUSIVE MODE")
        run = await stub.StartScan(pb.StartScanRequest(source_name="shop"))
        assert run.status == pb.SCAN_STATUS_RUNNING
        cancelling = await stub.CancelScan(pb.CancelScanRequest(id=run.id))
        assert cancelling.status == pb.SCAN_STATUS_RUNNING
        for _ in range(100):
            run = await stub.GetScan(pb.GetScanRequest(id=run.id))
            if run.status != pb.SCAN_STATUS_RUNNING:
                break
            await asyncio.sleep(0.1)
        assert run.status == pb.SCAN_STATUS_CANCELLED and run.error == "cancelled on request"
        await tx.rollback()
    finally:
        await blocker.close()
    assert await catalog_db.fetchval("SELECT count(*) FROM catalog.objects") == 0
    types = [r["event_type"] for r in await outbox_rows(catalog_db)]
    assert "datacompass.catalog.scan.cancelled" in types
    for scan_id, code in (
        (run.id, grpc.StatusCode.FAILED_PRECONDITION),
        (999, grpc.StatusCode.NOT_FOUND),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.CancelScan(pb.CancelScanRequest(id=scan_id))
        assert err.value.code() == code
    # The source scans normally afterwards, with its progress at 100%.
    done = await stub.StartScan(pb.StartScanRequest(source_name="shop", wait=True))
    assert done.status == pb.SCAN_STATUS_SUCCEEDED
    assert done.objects_done == done.objects_total == done.objects_found == 5

"""Catalog objects over gRPC: search, paging, lookup by ref/URN/id, user metadata."""

from __future__ import annotations

import asyncpg
import grpc
import pytest
from catalog_testkit import SourceDb, audit_records, create_source, outbox_rows
from google.protobuf import field_mask_pb2, json_format

from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import paging_pb2, refs_pb2

Stub = catalog_pb2_grpc.CatalogServiceStub


@pytest.fixture
async def scanned(stub: Stub, source_db: SourceDb) -> Stub:
    """Two sources over the same database, both scanned."""
    for name in ("shop", "mirror"):
        await create_source(stub, name, source_db.connection())
        run = await stub.StartScan(pb.StartScanRequest(source_name=name, wait=True))
        assert run.status == pb.SCAN_STATUS_SUCCEEDED, run.error
    return stub


async def refs(stub: Stub, **filters: object) -> list[str]:
    response = await stub.ListObjects(pb.ListObjectsRequest(**filters))  # type: ignore[arg-type]
    return [o.ref for o in response.items]


async def test_list_and_filter(scanned: Stub) -> None:
    everything = await refs(scanned)
    assert len(everything) == 10 and everything == sorted(everything)
    assert await refs(scanned, source_name="shop") == [
        "shop.public.events",
        "shop.sales.big_orders",
        "shop.sales.customers",
        "shop.sales.order_totals",
        "shop.sales.orders",
    ]
    assert await refs(scanned, source_name="shop", object_type="view") == ["shop.sales.big_orders"]
    assert await refs(scanned, object_type="materialized_view") == [
        "mirror.sales.order_totals",
        "shop.sales.order_totals",
    ]
    assert await refs(scanned, source_name="nope") == []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await refs(scanned, object_type="sequence")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_search(scanned: Stub) -> None:
    # Exact name first, then name prefix, then relevance; words match as prefixes.
    found = await refs(scanned, query="ORDERS", source_name="shop")
    assert found[0] == "shop.sales.orders"
    assert set(found) == {"shop.sales.orders", "shop.sales.big_orders", "shop.sales.order_totals"}
    found = await refs(scanned, query="order", source_name="shop")
    assert set(found[:2]) == {"shop.sales.order_totals", "shop.sales.orders"}
    assert found[2] == "shop.sales.big_orders"
    # Typos still find the object (trigram similarity), best match first.
    assert (await refs(scanned, query="ordres", source_name="shop"))[0] == "shop.sales.orders"
    assert (await refs(scanned, query="custmers", source_name="shop"))[0] == "shop.sales.customers"
    # The source comment and column names are searched too.
    assert await refs(scanned, query="buy things", source_name="shop") == ["shop.sales.customers"]
    assert "shop.public.events" in await refs(scanned, query="payload", source_name="shop")
    # LIKE wildcards are literal.
    assert await refs(scanned, query="%", source_name="shop") == []
    assert (await refs(scanned, query="order_", source_name="shop"))[0] == "shop.sales.order_totals"
    assert await refs(scanned, query="zzz") == []


async def test_search_facets(scanned: Stub) -> None:
    response = await scanned.ListObjects(pb.ListObjectsRequest(query="orders", include_facets=True))
    facets = {f.name: {c.value: c.count for c in f.counts} for f in response.facets}
    assert facets["source"] == {"shop": 3, "mirror": 3}
    assert facets["type"] == {"table": 2, "view": 2, "materialized_view": 2}
    assert facets["schema"] == {"sales": 6}
    assert facets["tag"] == {}
    # Without the flag no facets are computed.
    plain = await scanned.ListObjects(pb.ListObjectsRequest(query="orders"))
    assert list(plain.facets) == []


async def test_pagination(scanned: Stub) -> None:
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        response = await scanned.ListObjects(
            pb.ListObjectsRequest(page=paging_pb2.PageRequest(limit=3, cursor=cursor))
        )
        pages += 1
        seen += [o.ref for o in response.items]
        assert len(response.items) <= 3
        cursor = response.page.next_cursor
        if not cursor:
            break
    assert pages == 4 and len(seen) == 10 and seen == await refs(scanned)
    # Search results page consistently as well.
    first = await scanned.ListObjects(
        pb.ListObjectsRequest(query="order", page=paging_pb2.PageRequest(limit=4))
    )
    rest = await scanned.ListObjects(
        pb.ListObjectsRequest(
            query="order", page=paging_pb2.PageRequest(limit=4, cursor=first.page.next_cursor)
        )
    )
    assert [o.ref for o in first.items] + [o.ref for o in rest.items] == await refs(
        scanned, query="order"
    )
    assert rest.page.next_cursor == ""
    for page in (
        paging_pb2.PageRequest(cursor="not-a-cursor!"),
        paging_pb2.PageRequest(limit=-1),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await scanned.ListObjects(pb.ListObjectsRequest(page=page))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_get_by_ref_urn_and_id(scanned: Stub) -> None:
    by_ref = await scanned.GetObject(
        pb.GetObjectRequest(ref=refs_pb2.ObjectRef(qualified_name="shop.sales.customers"))
    )
    by_urn = await scanned.GetObject(pb.GetObjectRequest(ref=refs_pb2.ObjectRef(urn=by_ref.urn)))
    by_id = await scanned.GetObject(pb.GetObjectRequest(ref=refs_pb2.ObjectRef(id=by_ref.id)))
    # A numeric string or a URN given as "qualified_name" works too (the REST path form).
    by_text = await scanned.GetObject(
        pb.GetObjectRequest(ref=refs_pb2.ObjectRef(qualified_name=str(by_ref.id)))
    )
    assert by_ref == by_urn == by_id == by_text
    assert by_ref.column_count == 4 == len(by_ref.columns)
    # Lists carry no columns.
    listed = await scanned.ListObjects(pb.ListObjectsRequest(query="customers", source_name="shop"))
    assert listed.items[0].id == by_ref.id and not listed.items[0].columns


BAD_REFS = [
    (refs_pb2.ObjectRef(qualified_name="shop.sales.nope"), grpc.StatusCode.NOT_FOUND),
    (refs_pb2.ObjectRef(qualified_name="nope.sales.orders"), grpc.StatusCode.NOT_FOUND),
    (refs_pb2.ObjectRef(id=987654), grpc.StatusCode.NOT_FOUND),
    (refs_pb2.ObjectRef(urn="urn:dcs:postgres:view:shop.sales:orders"), grpc.StatusCode.NOT_FOUND),
    (refs_pb2.ObjectRef(urn="urn:dcs:bad"), grpc.StatusCode.INVALID_ARGUMENT),
    (refs_pb2.ObjectRef(qualified_name="orders"), grpc.StatusCode.INVALID_ARGUMENT),
    (refs_pb2.ObjectRef(qualified_name="shop.sales"), grpc.StatusCode.INVALID_ARGUMENT),
    (refs_pb2.ObjectRef(), grpc.StatusCode.INVALID_ARGUMENT),
]


async def test_bad_refs(scanned: Stub) -> None:
    for ref, code in BAD_REFS:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await scanned.GetObject(pb.GetObjectRequest(ref=ref))
        assert err.value.code() == code, ref
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await scanned.ListColumns(pb.ListColumnsRequest(ref=ref))
        assert err.value.code() == code, ref


async def test_list_columns_pages(scanned: Stub) -> None:
    ref = refs_pb2.ObjectRef(qualified_name="shop.sales.customers")
    first = await scanned.ListColumns(
        pb.ListColumnsRequest(ref=ref, page=paging_pb2.PageRequest(limit=3))
    )
    rest = await scanned.ListColumns(
        pb.ListColumnsRequest(ref=ref, page=paging_pb2.PageRequest(cursor=first.page.next_cursor))
    )
    assert [c.name for c in first.items] == ["id", "email", "name"]
    assert [c.name for c in rest.items] == ["created_at"] and rest.page.next_cursor == ""


async def test_update_description_and_tags(
    scanned: Stub, source_db: SourceDb, catalog_db: asyncpg.Connection
) -> None:
    ref = refs_pb2.ObjectRef(qualified_name="shop.sales.customers")
    updated = await scanned.UpdateObject(
        pb.UpdateObjectRequest(
            ref=ref,
            description="  Everyone with an account  ",
            tags=["PII", "gold", " pii ", ""],
            update_mask=field_mask_pb2.FieldMask(paths=["description", "tags"]),
        ),
        metadata=[("x-dc-actor", "carol")],
    )
    assert updated.description == "Everyone with an account"
    assert list(updated.tags) == ["gold", "pii"]
    assert json_format.MessageToDict(updated.user_metadata) == {
        "description": "Everyone with an account",
        "tags": ["gold", "pii"],
    }
    # the source's comment is still there
    assert json_format.MessageToDict(updated.source_metadata)["comment"] == "People who buy things"
    assert len(updated.columns) == 4

    # Tags are searchable; only masked fields change.
    assert await refs(scanned, query="gold") == ["shop.sales.customers"]
    only_tags = await scanned.UpdateObject(
        pb.UpdateObjectRequest(
            ref=ref,
            description="ignored",
            tags=[],
            update_mask=field_mask_pb2.FieldMask(paths=["tags"]),
        )
    )
    assert only_tags.description == "Everyone with an account" and list(only_tags.tags) == []

    # A rescan keeps what people wrote.
    await source_db.execute("COMMENT ON TABLE sales.customers IS 'changed upstream'")
    run = await scanned.StartScan(pb.StartScanRequest(source_name="shop", wait=True))
    assert run.objects_updated == 1
    after = await scanned.GetObject(pb.GetObjectRequest(ref=ref))
    assert after.description == "Everyone with an account"
    assert json_format.MessageToDict(after.source_metadata)["comment"] == "changed upstream"

    # Clearing the description falls back to the source comment.
    cleared = await scanned.UpdateObject(
        pb.UpdateObjectRequest(
            ref=ref, description=" ", update_mask=field_mask_pb2.FieldMask(paths=["description"])
        )
    )
    assert cleared.description == "changed upstream"

    records = audit_records(await outbox_rows(catalog_db), "object.update")
    assert len(records) == 3
    first = {c.field: (c.old_json, c.new_json) for c in records[0].changes}
    assert first == {
        "description": ("null", '"Everyone with an account"'),
        "tags": ("[]", '["gold", "pii"]'),
    }
    assert records[0].actor == "carol" and records[0].entity_urn == updated.urn


async def test_update_rejects_bad_input(scanned: Stub) -> None:
    ref = refs_pb2.ObjectRef(qualified_name="shop.sales.customers")
    for request in (
        pb.UpdateObjectRequest(ref=ref, update_mask=field_mask_pb2.FieldMask(paths=["name"])),
        pb.UpdateObjectRequest(ref=ref),
        pb.UpdateObjectRequest(
            ref=ref, tags=["has space"], update_mask=field_mask_pb2.FieldMask(paths=["tags"])
        ),
        pb.UpdateObjectRequest(
            ref=ref,
            tags=[f"t{i}" for i in range(51)],
            update_mask=field_mask_pb2.FieldMask(paths=["tags"]),
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await scanned.UpdateObject(request)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await scanned.UpdateObject(
            pb.UpdateObjectRequest(
                ref=refs_pb2.ObjectRef(qualified_name="shop.sales.nope"),
                tags=["x"],
                update_mask=field_mask_pb2.FieldMask(paths=["tags"]),
            )
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_stored_name_trigrams_follow_pg_trgm(
    scanned: Stub, catalog_db: asyncpg.Connection
) -> None:
    got = await catalog_db.fetchval("SELECT catalog.trigrams('Order_Items')")
    # As pg_trgm's show_trgm: lower-cased words split on non-alphanumerics ('_' too), each
    # padded with two spaces before and one after.
    assert sorted(got) == sorted(
        ["  o", " or", "ord", "rde", "der", "er ", "  i", " it", "ite", "tem", "ems", "ms "]
    )
    stored = await catalog_db.fetch("SELECT name, name_trigrams FROM catalog.objects")
    assert stored
    for row in stored:
        same = await catalog_db.fetchval("SELECT catalog.trigrams($1)", row["name"])
        assert row["name_trigrams"] == same

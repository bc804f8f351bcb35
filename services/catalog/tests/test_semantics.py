"""Column meaning and value domains over real gRPC and PostgreSQL: a column's business definition
survives rescans that refresh its source comment, claims are checked (RE2 patterns, ranges),
columns inherit their value domain's claims, a domain in use cannot go, and a capsule takes a
medallion layer from the configured list; refused requests write nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest
from catalog_testkit import SourceDb, audit_records, create_source, envelope, outbox_rows

from catalog_service.app import CatalogService
from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import catalog_pb2_grpc, semantics_pb2_grpc
from datacompass.catalog.v1 import semantics_pb2 as pb
from datacompass.common.v1 import refs_pb2
from dckit.event_catalogue import COLUMN_SEMANTICS_CHANGED, VALUE_DOMAIN_CHANGED
from dckit.grpc_client import channel

Catalog = catalog_pb2_grpc.CatalogServiceStub
Semantics = semantics_pb2_grpc.SemanticsServiceStub
ORDERS = refs_pb2.ObjectRef(qualified_name="shop.sales.orders")
AMOUNT_URN = "urn:dcs:postgres:table:shop.sales:orders.amount"


@pytest.fixture
async def semantics(service: CatalogService) -> AsyncIterator[Semantics]:
    chan = channel(f"127.0.0.1:{service.grpc.bound_port}")
    try:
        yield semantics_pb2_grpc.SemanticsServiceStub(chan)
    finally:
        await chan.close()


@pytest.fixture
async def shop(stub: Catalog, source_db: SourceDb) -> Catalog:
    await create_source(stub, "shop", source_db.connection())
    await scan(stub)
    return stub


async def scan(stub: Catalog) -> None:
    run = await stub.StartScan(cpb.StartScanRequest(source_name="shop", wait=True))
    assert run.status == cpb.SCAN_STATUS_SUCCEEDED, run.error


def describe(column: str, paths: list[str], **values: object) -> pb.UpdateColumnSemanticsRequest:
    claims = values.pop("claims", None)
    semantics = pb.ColumnSemantics(**values)  # type: ignore[arg-type]
    if claims is not None:
        semantics.claims.CopyFrom(claims)  # type: ignore[arg-type]
    return pb.UpdateColumnSemanticsRequest(
        ref=ORDERS, column=column, semantics=semantics, update_mask={"paths": paths}
    )


async def refused(call: object, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call  # type: ignore[misc]
    assert err.value.code() == code, err.value.details()
    return err.value.details() or ""


async def rows(conn: asyncpg.Connection) -> tuple[int, ...]:
    return (
        await conn.fetchval("SELECT count(*) FROM catalog.column_semantics"),
        await conn.fetchval("SELECT count(*) FROM catalog.value_domains"),
        await conn.fetchval("SELECT count(*) FROM catalog.outbox"),
    )


async def test_definition_survives_rescans_and_is_audited(
    shop: Catalog, semantics: Semantics, source_db: SourceDb, catalog_db: asyncpg.Connection
) -> None:
    described = await semantics.UpdateColumnSemantics(
        describe(
            "amount",
            ["business_definition", "unit_of_measure", "semantic_type", "claims", "examples"],
            business_definition="Total order value including tax and shipping",
            unit_of_measure="USD",
            semantic_type="metric",
            claims=pb.ValueClaims(min_value=0, max_value=1_000_000),
            examples=["19.99", "250.00"],
        ),
        metadata=[("x-dc-actor", "sam")],
    )
    assert described.column_urn == AMOUNT_URN and described.updated_by == "sam"
    assert (described.unit_of_measure, described.claims.min_value) == ("USD", 0)
    assert described.claims.HasField("max_value") and described.effective.max_value == 1_000_000
    assert list(described.effective.inherited) == []

    await source_db.execute(
        "COMMENT ON COLUMN sales.orders.amount IS 'gross amount';"
        "ALTER TABLE sales.orders ADD COLUMN currency text"  # a schema change: columns rewritten
    )
    await scan(shop)
    after = await semantics.GetColumnSemantics(
        pb.GetColumnSemanticsRequest(ref=ORDERS, column="amount")
    )
    assert after.source_comment == "gross amount"  # refreshed by the scan
    assert after.business_definition == "Total order value including tax and shipping"
    assert after.unit_of_measure == "USD" and list(after.examples) == ["19.99", "250.00"]
    listed = await semantics.ListColumnSemantics(pb.ListColumnSemanticsRequest(ref=ORDERS))
    assert [c.column for c in listed.items] == ["id", "customer_id", "amount", "note", "currency"]
    assert [c.business_definition for c in listed.items if c.business_definition] == [
        "Total order value including tax and shipping"
    ]

    # Only the fields named change; a named field left empty is cleared.
    cleared = await semantics.UpdateColumnSemantics(
        describe("amount", ["unit_of_measure", "claims.max_value"])
    )
    assert cleared.unit_of_measure == "" and not cleared.claims.HasField("max_value")
    assert cleared.claims.min_value == 0 and cleared.business_definition

    outbox = await outbox_rows(catalog_db)
    audits = audit_records(outbox, "column.describe")
    assert len(audits) == 2 and audits[0].entity_urn == AMOUNT_URN and audits[0].actor == "sam"
    assert {c.field for c in audits[1].changes} == {"unit_of_measure", "max_value"}
    events = [r for r in outbox if r["event_type"] == COLUMN_SEMANTICS_CHANGED.name]
    payload = pb.ColumnSemanticsChanged()
    assert len(events) == 2 and envelope(events[0]["payload"]).data.Unpack(payload)
    assert payload.semantics.column_urn == AMOUNT_URN


async def test_bad_column_meaning_writes_nothing(
    shop: Catalog, semantics: Semantics, catalog_db: asyncpg.Connection
) -> None:
    before = await rows(catalog_db)
    bad = {
        "backreference": describe(
            "note", ["claims.format_pattern"], claims=pb.ValueClaims(format_pattern=r"(a)\1")
        ),
        "lookahead": describe(
            "note", ["claims.format_pattern"], claims=pb.ValueClaims(format_pattern="(?=a)b")
        ),
        "unbalanced": describe(
            "note", ["claims.format_pattern"], claims=pb.ValueClaims(format_pattern="[A-Z")
        ),
        "range": describe("amount", ["claims"], claims=pb.ValueClaims(min_value=5, max_value=1)),
        "domain": describe("amount", ["value_domain"], value_domain="no_such_domain"),
        "semantic type": describe("amount", ["semantic_type"], semantic_type="Not A Type"),
        "mask": describe("amount", ["colour"]),
        "empty mask": describe("amount", []),
    }
    for label, request in bad.items():
        detail = await refused(
            semantics.UpdateColumnSemantics(request), grpc.StatusCode.INVALID_ARGUMENT
        )
        assert detail, label
    detail = await refused(
        semantics.UpdateColumnSemantics(bad["domain"]), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert "no_such_domain" in detail
    await refused(
        semantics.UpdateColumnSemantics(describe("nope", ["semantic_type"])),
        grpc.StatusCode.NOT_FOUND,
    )
    assert await rows(catalog_db) == before
    ok = await semantics.UpdateColumnSemantics(
        describe(
            "note",
            ["claims.format_pattern"],
            claims=pb.ValueClaims(format_pattern=r"[A-Z]{3}-[0-9]{4}"),
        )
    )
    assert ok.claims.format_pattern == r"[A-Z]{3}-[0-9]{4}"


async def test_columns_inherit_their_value_domain(
    shop: Catalog, semantics: Semantics, catalog_db: asyncpg.Connection
) -> None:
    status = await semantics.CreateValueDomain(
        pb.CreateValueDomainRequest(
            name="order_status_enum",
            domain_type=pb.VALUE_DOMAIN_TYPE_ENUM,
            values=[
                pb.DomainValue(code="pending", label="Pending"),
                pb.DomainValue(code="shipped", label="Shipped"),
            ],
        ),
        metadata=[("x-dc-actor", "sam")],
    )
    assert [v.label for v in status.values] == ["Pending", "Shipped"]
    money = await semantics.CreateValueDomain(
        pb.CreateValueDomainRequest(
            name="currency_amount", domain_type=pb.VALUE_DOMAIN_TYPE_RANGE, min_value=0
        )
    )
    assert money.HasField("min_value") and not money.HasField("max_value")

    note = await semantics.UpdateColumnSemantics(
        describe("note", ["value_domain"], value_domain="Order_Status_Enum")
    )
    assert note.value_domain == "order_status_enum"
    assert list(note.effective.allowed_values) == ["pending", "shipped"]
    assert list(note.effective.inherited) == ["allowed_values"]
    # The column's own claim overrides the domain's.
    note = await semantics.UpdateColumnSemantics(
        describe("note", ["claims.allowed_values"], claims=pb.ValueClaims(allowed_values=["x"]))
    )
    assert list(note.effective.allowed_values) == ["x"] and list(note.effective.inherited) == []

    amount = await semantics.UpdateColumnSemantics(
        describe(
            "amount",
            ["value_domain", "claims.max_value"],
            value_domain="currency_amount",
            claims=pb.ValueClaims(max_value=500),
        )
    )
    assert (amount.effective.min_value, amount.effective.max_value) == (0, 500)
    assert list(amount.effective.inherited) == ["min_value"]
    # A column bound below its domain's minimum contradicts it.
    before = await rows(catalog_db)
    await refused(
        semantics.UpdateColumnSemantics(
            describe("amount", ["claims.max_value"], claims=pb.ValueClaims(max_value=-5))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert await rows(catalog_db) == before

    listed = await semantics.ListValueDomains(pb.ListValueDomainsRequest())
    assert [(d.name, d.column_count) for d in listed.items] == [
        ("currency_amount", 1),
        ("order_status_enum", 1),
    ]
    detail = await refused(
        semantics.DeleteValueDomain(pb.DeleteValueDomainRequest(name="currency_amount")),
        grpc.StatusCode.ABORTED,
    )
    assert "shop.sales.orders.amount" in detail
    await semantics.UpdateColumnSemantics(describe("amount", ["value_domain"]))
    await semantics.DeleteValueDomain(pb.DeleteValueDomainRequest(name="currency_amount"))
    await refused(
        semantics.GetValueDomain(pb.GetValueDomainRequest(name="currency_amount")),
        grpc.StatusCode.NOT_FOUND,
    )
    outbox = await outbox_rows(catalog_db)
    assert [a.action for a in audit_records(outbox) if a.action.startswith("value_domain")] == [
        "value_domain.create",
        "value_domain.create",
        "value_domain.delete",
    ]
    assert sum(r["event_type"] == VALUE_DOMAIN_CHANGED.name for r in outbox) == 3


async def test_bad_value_domains_write_nothing(
    shop: Catalog, semantics: Semantics, catalog_db: asyncpg.Connection
) -> None:
    before = await rows(catalog_db)
    enum = pb.VALUE_DOMAIN_TYPE_ENUM
    bad = [
        pb.CreateValueDomainRequest(name="e", domain_type=enum),  # no values
        pb.CreateValueDomainRequest(
            name="e", domain_type=enum, values=[pb.DomainValue(code="a")] * 2
        ),
        pb.CreateValueDomainRequest(
            name="e", domain_type=enum, values=[pb.DomainValue(code="a")], min_value=1
        ),
        pb.CreateValueDomainRequest(name="r", domain_type=pb.VALUE_DOMAIN_TYPE_RANGE),
        pb.CreateValueDomainRequest(
            name="r", domain_type=pb.VALUE_DOMAIN_TYPE_RANGE, min_value=3, max_value=2
        ),
        pb.CreateValueDomainRequest(
            name="p", domain_type=pb.VALUE_DOMAIN_TYPE_PATTERN, pattern=r"(?<=x)y"
        ),
        pb.CreateValueDomainRequest(name="t"),  # no type
    ]
    for request in bad:
        await refused(semantics.CreateValueDomain(request), grpc.StatusCode.INVALID_ARGUMENT)
    await refused(
        semantics.CreateValueDomain(
            pb.CreateValueDomainRequest(
                name="ref",
                domain_type=pb.VALUE_DOMAIN_TYPE_REFERENCE,
                reference_object=refs_pb2.ObjectRef(qualified_name="shop.sales.nope"),
                reference_column="id",
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert await rows(catalog_db) == before

    customers = await semantics.CreateValueDomain(
        pb.CreateValueDomainRequest(
            name="customer_ids",
            domain_type=pb.VALUE_DOMAIN_TYPE_REFERENCE,
            reference_object=refs_pb2.ObjectRef(qualified_name="shop.sales.customers"),
            reference_column="id",
        )
    )
    assert customers.reference_object_urn == "urn:dcs:postgres:table:shop.sales:customers"
    await refused(
        semantics.CreateValueDomain(
            pb.CreateValueDomainRequest(
                name="Customer_IDs", domain_type=pb.VALUE_DOMAIN_TYPE_PATTERN, pattern="x"
            )
        ),
        grpc.StatusCode.ALREADY_EXISTS,
    )


def change(domain: str, paths: list[str], **values: object) -> pb.UpdateValueDomainRequest:
    return pb.UpdateValueDomainRequest(
        name=domain,
        value_domain=pb.CreateValueDomainRequest(**values),  # type: ignore[arg-type]
        update_mask={"paths": paths},
    )


async def test_update_value_domain(
    shop: Catalog, semantics: Semantics, catalog_db: asyncpg.Connection
) -> None:
    """A domain's fields change by mask, validated as a whole; its columns inherit the new
    claims; bad changes (a stray field, a bound crossing, a taken name, an unknown field or
    reference) are refused with nothing written; each change is audited and announced."""
    await semantics.CreateValueDomain(
        pb.CreateValueDomainRequest(
            name="money", domain_type=pb.VALUE_DOMAIN_TYPE_RANGE, min_value=0, max_value=10
        )
    )
    await semantics.CreateValueDomain(
        pb.CreateValueDomainRequest(
            name="codes", domain_type=pb.VALUE_DOMAIN_TYPE_PATTERN, pattern="[A-Z]+"
        )
    )
    await semantics.UpdateColumnSemantics(
        describe("amount", ["value_domain"], value_domain="money")
    )
    changed = await semantics.UpdateValueDomain(
        change("Money", ["max_value", "description"], max_value=500, description="Cash")
    )
    assert (changed.min_value, changed.max_value, changed.description) == (0, 500, "Cash")
    assert changed.column_count == 1
    amount = await semantics.GetColumnSemantics(
        pb.GetColumnSemanticsRequest(ref=ORDERS, column="amount")
    )
    assert amount.effective.max_value == 500
    # Clearing a field (in the mask, not set) removes it.
    cleared = await semantics.UpdateValueDomain(change("money", ["min_value"]))
    assert not cleared.HasField("min_value") and cleared.max_value == 500

    before = await rows(catalog_db)
    bad = [
        change("money", ["min_value"], min_value=900),  # above the max
        change("money", ["max_value", "min_value"]),  # a range bounding nothing
        change("money", ["pattern"], pattern="x"),  # a range takes no pattern
        change("money", ["domain_type"], domain_type=pb.VALUE_DOMAIN_TYPE_ENUM),  # no values
        change("money", []),  # nothing to change
        change("money", ["column_count"]),  # not a field of a domain
        change("money", ["name"], name=""),
        change("codes", ["pattern"], pattern=r"(?<=x)y"),  # not RE2
    ]
    for request in bad:
        await refused(semantics.UpdateValueDomain(request), grpc.StatusCode.INVALID_ARGUMENT)
    await refused(
        semantics.UpdateValueDomain(change("money", ["name"], name="CODES")),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    await refused(
        semantics.UpdateValueDomain(change("nope", ["description"], description="x")),
        grpc.StatusCode.NOT_FOUND,
    )
    await refused(
        semantics.UpdateValueDomain(
            change(
                "codes",
                ["domain_type", "pattern", "reference_object", "reference_column"],
                domain_type=pb.VALUE_DOMAIN_TYPE_REFERENCE,
                reference_object=refs_pb2.ObjectRef(qualified_name="shop.sales.nope"),
                reference_column="id",
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert await rows(catalog_db) == before

    # Changing the type clears the old type's fields with it.
    enum = await semantics.UpdateValueDomain(
        change(
            "codes",
            ["domain_type", "pattern", "values", "name"],
            name="status_codes",
            domain_type=pb.VALUE_DOMAIN_TYPE_ENUM,
            values=[pb.DomainValue(code="A", label="Active")],
        )
    )
    assert (enum.name, enum.pattern, [v.code for v in enum.values]) == (
        "status_codes",
        "",
        ["A"],
    )
    outbox = await outbox_rows(catalog_db)
    records = [a for a in audit_records(outbox) if a.action == "value_domain.update"]
    assert len(records) == 3
    assert sum(r["event_type"] == VALUE_DOMAIN_CHANGED.name for r in outbox) == 5


async def test_capsule_summary_is_each_rpc_in_one(shop: Catalog, semantics: Semantics) -> None:
    """GetCapsuleSummary answers each part as the RPC of the same name does; an unknown capsule
    is NOT_FOUND as a whole."""
    await semantics.CreateBusinessTerm(
        pb.CreateBusinessTermRequest(name="Order", definition="A customer's purchase")
    )
    await semantics.CreateTermLink(
        pb.CreateTermLinkRequest(ref=ORDERS, term=pb.TermRef(name="Order"))
    )
    await semantics.UpdateColumnSemantics(
        describe("amount", ["business_definition"], business_definition="Gross value")
    )
    got = await shop.GetCapsuleSummary(cpb.GetCapsuleSummaryRequest(ref=ORDERS))
    assert got.object == await shop.GetObject(cpb.GetObjectRequest(ref=ORDERS))
    assert got.constraints == await shop.ListConstraints(cpb.ListConstraintsRequest(ref=ORDERS))
    assert got.indexes == await shop.ListIndexes(cpb.ListIndexesRequest(ref=ORDERS))
    assert got.columns == await semantics.ListColumnSemantics(
        pb.ListColumnSemanticsRequest(ref=ORDERS)
    )
    assert [link.term_name for link in got.term_links.items] == ["Order"]
    assert len(got.versions.items) == 1
    assert (
        got.versions.items[0]
        == (await shop.ListVersions(cpb.ListVersionsRequest(ref=ORDERS))).items[0]
    )
    assert got.completeness.object_urn == got.object.urn
    await refused(
        shop.GetCapsuleSummary(
            cpb.GetCapsuleSummaryRequest(ref=refs_pb2.ObjectRef(qualified_name="shop.sales.nope"))
        ),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_capsule_layer(shop: Catalog) -> None:
    obj = await shop.UpdateObject(
        cpb.UpdateObjectRequest(ref=ORDERS, layer="Gold", update_mask={"paths": ["layer"]})
    )
    assert obj.layer == "gold"
    assert (await shop.GetObject(cpb.GetObjectRequest(ref=ORDERS))).layer == "gold"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await shop.UpdateObject(
            cpb.UpdateObjectRequest(ref=ORDERS, layer="platinum", update_mask={"paths": ["layer"]})
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "bronze, silver, gold" in (err.value.details() or "")
    cleared = await shop.UpdateObject(
        cpb.UpdateObjectRequest(ref=ORDERS, update_mask={"paths": ["layer"]})
    )
    assert cleared.layer == ""

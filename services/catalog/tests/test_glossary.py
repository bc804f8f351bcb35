"""The business glossary over real gRPC and PostgreSQL: terms with their approval workflow and
history, related terms without cycles, ranked full-text search, all-or-nothing import and
export (YAML, CSV), term links from capsules and columns; every change audited with its event,
and every refused request leaving nothing written."""

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
from dckit.event_catalogue import BUSINESS_TERM_CHANGED, TERM_LINK_CHANGED
from dckit.grpc_client import channel

Semantics = semantics_pb2_grpc.SemanticsServiceStub
DRAFT = pb.BUSINESS_TERM_STATUS_DRAFT
UNDER_REVIEW = pb.BUSINESS_TERM_STATUS_UNDER_REVIEW
APPROVED = pb.BUSINESS_TERM_STATUS_APPROVED
DEPRECATED = pb.BUSINESS_TERM_STATUS_DEPRECATED
ORDERS = "shop.sales.orders"


@pytest.fixture
async def glossary(service: CatalogService) -> AsyncIterator[Semantics]:
    chan = channel(f"127.0.0.1:{service.grpc.bound_port}")
    try:
        yield semantics_pb2_grpc.SemanticsServiceStub(chan)
    finally:
        await chan.close()


@pytest.fixture
async def shop(
    stub: catalog_pb2_grpc.CatalogServiceStub, source_db: SourceDb
) -> catalog_pb2_grpc.CatalogServiceStub:
    await create_source(stub, "shop", source_db.connection())
    run = await stub.StartScan(cpb.StartScanRequest(source_name="shop", wait=True))
    assert run.status == cpb.SCAN_STATUS_SUCCEEDED, run.error
    return stub


def named(name: str) -> pb.TermRef:
    return pb.TermRef(name=name)


def ref(text: str) -> refs_pb2.ObjectRef:
    return refs_pb2.ObjectRef(qualified_name=text)


def related(relation: int, term: str) -> pb.RelatedTerm:
    return pb.RelatedTerm(relation=relation, term=term)


async def add(
    glossary: Semantics, name: str, definition: str = "", **kw: object
) -> pb.BusinessTerm:
    return await glossary.CreateBusinessTerm(
        pb.CreateBusinessTermRequest(
            name=name, definition=definition or f"What {name} means", **kw
        ),
        metadata=[("x-dc-actor", "erin")],
    )


async def step(
    glossary: Semantics, name: str, status: int, who: str, comment: str = ""
) -> pb.BusinessTerm:
    return await glossary.ChangeBusinessTermStatus(
        pb.ChangeBusinessTermStatusRequest(term=named(name), status=status, comment=comment),
        metadata=[("x-dc-actor", who)],
    )


async def counts(conn: asyncpg.Connection) -> tuple[int, ...]:
    """Rows of every glossary table and the outbox: a refused request changes none."""
    tables = ("business_terms", "business_term_relations", "business_term_history", "term_links")
    return tuple(
        [await conn.fetchval(f"SELECT count(*) FROM catalog.{t}") for t in tables]
        + [await conn.fetchval("SELECT count(*) FROM catalog.outbox")]
    )


async def refused(call: object, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call  # type: ignore[misc]
    assert err.value.code() == code, err.value.details()
    return err.value.details() or ""


async def test_term_workflow_history_audit_and_events(
    glossary: Semantics, catalog_db: asyncpg.Connection
) -> None:
    term = await add(
        glossary,
        "Customer Lifetime Value",
        "Expected net revenue from a customer over the whole relationship",
        abbreviation="CLV",
        synonyms=["LTV", "lifetime value", "LTV"],
        examples=["1200 USD"],
        category="financial",
        steward="sam",
        comment="first cut",
    )
    assert term.status == DRAFT and term.display_name == "Customer Lifetime Value"
    assert list(term.synonyms) == ["LTV", "lifetime value"]  # repeats dropped
    assert [(h.to_status, h.actor, h.comment) for h in term.history] == [
        (DRAFT, "erin", "first cut")
    ]

    await step(glossary, "customer lifetime value", UNDER_REVIEW, "erin", "please review")
    await step(glossary, "Customer Lifetime Value", APPROVED, "sam", "looks right")
    done = await step(glossary, "Customer Lifetime Value", DEPRECATED, "sam", "superseded")
    assert [(h.from_status, h.to_status, h.actor, h.comment) for h in done.history] == [
        (pb.BUSINESS_TERM_STATUS_UNSPECIFIED, DRAFT, "erin", "first cut"),
        (DRAFT, UNDER_REVIEW, "erin", "please review"),
        (UNDER_REVIEW, APPROVED, "sam", "looks right"),
        (APPROVED, DEPRECATED, "sam", "superseded"),
    ]
    assert all(h.HasField("changed_at") for h in done.history)
    shown = await glossary.GetBusinessTerm(pb.GetBusinessTermRequest(term=pb.TermRef(id=term.id)))
    assert shown.status == DEPRECATED and len(shown.history) == 4

    rows = await outbox_rows(catalog_db)
    audits = audit_records(rows)
    assert [a.action for a in audits] == ["business_term.create"] + ["business_term.status"] * 3
    approve = audits[2]
    assert approve.actor == "sam" and approve.entity_type == "business_term"
    assert {c.field: (c.old_json, c.new_json) for c in approve.changes} == {
        "status": ('"under_review"', '"approved"')
    }
    events = [r for r in rows if r["event_type"] == BUSINESS_TERM_CHANGED.name]
    changes = []
    for row in events:
        payload = pb.BusinessTermChanged()
        env = envelope(row["payload"])
        assert env.data.Unpack(payload) and env.subject == f"business_term:{term.id}"
        changes.append((payload.change, payload.term.status))
    assert changes == [
        ("created", DRAFT),
        ("status_changed", UNDER_REVIEW),
        ("status_changed", APPROVED),
        ("status_changed", DEPRECATED),
    ]


async def test_bad_steps_and_bad_terms_write_nothing(
    glossary: Semantics, catalog_db: asyncpg.Connection
) -> None:
    await add(glossary, "Revenue")
    before = await counts(catalog_db)
    detail = await refused(
        step(glossary, "Revenue", APPROVED, "sam"), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert "draft to approved" in detail and "under_review" in detail
    await refused(step(glossary, "Nope", UNDER_REVIEW, "erin"), grpc.StatusCode.NOT_FOUND)
    await refused(add(glossary, "revenue"), grpc.StatusCode.ALREADY_EXISTS)  # names ignore case
    await refused(add(glossary, "Empty", definition=" "), grpc.StatusCode.INVALID_ARGUMENT)
    await refused(
        glossary.CreateBusinessTerm(pb.CreateBusinessTermRequest(name="X", definition="")),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    await refused(add(glossary, "a/b"), grpc.StatusCode.INVALID_ARGUMENT)
    await refused(add(glossary, "12345"), grpc.StatusCode.INVALID_ARGUMENT)
    detail = await refused(
        add(glossary, "Net Revenue", related=[related(pb.TERM_RELATION_IS_A, "Gross Thing")]),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "Gross Thing" in detail
    assert await counts(catalog_db) == before

    await step(glossary, "Revenue", UNDER_REVIEW, "erin")
    await step(glossary, "Revenue", DRAFT, "sam", "needs a source")  # sent back
    await step(glossary, "Revenue", DEPRECATED, "sam")
    detail = await refused(
        step(glossary, "Revenue", UNDER_REVIEW, "erin"), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert "final" in detail


async def test_related_terms_refuse_cycles(
    glossary: Semantics, catalog_db: asyncpg.Connection
) -> None:
    await add(glossary, "Metric")
    await add(glossary, "Revenue", related=[related(pb.TERM_RELATION_IS_A, "Metric")])
    await add(glossary, "Net Revenue", related=[related(pb.TERM_RELATION_IS_A, "revenue")])
    net = await glossary.GetBusinessTerm(pb.GetBusinessTermRequest(term=named("Net Revenue")))
    assert [(r.relation, r.term) for r in net.related] == [(pb.TERM_RELATION_IS_A, "Revenue")]
    before = await counts(catalog_db)

    # Metric is_a Net Revenue would close Net Revenue → Revenue → Metric → Net Revenue.
    detail = await refused(
        glossary.UpdateBusinessTerm(
            pb.UpdateBusinessTermRequest(
                term=named("Metric"),
                business_term=pb.BusinessTerm(
                    related=[related(pb.TERM_RELATION_IS_A, "Net Revenue")]
                ),
                update_mask={"paths": ["related"]},
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "cycle in is_a" in detail and "Metric" in detail and "Net Revenue" in detail
    await refused(
        glossary.UpdateBusinessTerm(
            pb.UpdateBusinessTermRequest(
                term=named("Metric"),
                business_term=pb.BusinessTerm(related=[related(pb.TERM_RELATION_IS_A, "Metric")]),
                update_mask={"paths": ["related"]},
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert await counts(catalog_db) == before
    # `related` is not an order: both ways is fine.
    await glossary.UpdateBusinessTerm(
        pb.UpdateBusinessTermRequest(
            term=named("Metric"),
            business_term=pb.BusinessTerm(
                related=[related(pb.TERM_RELATION_RELATED, "Net Revenue")],
                definition="A measured quantity",
            ),
            update_mask={"paths": ["related", "definition"]},
        )
    )
    await glossary.UpdateBusinessTerm(
        pb.UpdateBusinessTermRequest(
            term=named("Net Revenue"),
            business_term=pb.BusinessTerm(
                related=[
                    related(pb.TERM_RELATION_IS_A, "Revenue"),
                    related(pb.TERM_RELATION_RELATED, "Metric"),
                ]
            ),
            update_mask={"paths": ["related"]},
        )
    )
    await refused(
        glossary.UpdateBusinessTerm(
            pb.UpdateBusinessTermRequest(
                term=named("Metric"), business_term=pb.BusinessTerm(), update_mask={"paths": []}
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )


async def test_search_ranks_name_and_synonyms_above_definition(glossary: Semantics) -> None:
    await add(glossary, "Order Margin", "Revenue of an order minus its cost")
    await add(glossary, "Revenue", "Money received from sales")
    await add(glossary, "Turnover", "Money received from selling goods", synonyms=["revenues"])
    await add(glossary, "Churn", "Customers who stop buying")

    found = await glossary.ListBusinessTerms(pb.ListBusinessTermsRequest(query="revenue"))
    names = [t.name for t in found.items]
    assert names[0] == "Revenue"  # the exact name first
    assert names.index("Turnover") < names.index("Order Margin")  # synonym over definition
    assert "Churn" not in names
    # Stemmed prefixes: "custom" finds "Customers" in a definition.
    found = await glossary.ListBusinessTerms(pb.ListBusinessTermsRequest(query="custom"))
    assert [t.name for t in found.items] == ["Churn"]
    everything = await glossary.ListBusinessTerms(pb.ListBusinessTermsRequest(page={"limit": 2}))
    assert [t.name for t in everything.items] == ["Churn", "Order Margin"]
    rest = await glossary.ListBusinessTerms(
        pb.ListBusinessTermsRequest(page={"limit": 2, "cursor": everything.page.next_cursor})
    )
    assert [t.name for t in rest.items] == ["Revenue", "Turnover"]
    drafts = await glossary.ListBusinessTerms(pb.ListBusinessTermsRequest(status=APPROVED))
    assert list(drafts.items) == []


GLOSSARY_YAML = """
terms:
  - name: Metric
    definition: A measured quantity
    status: approved
  - name: Revenue
    definition: Money received from sales
    synonyms: [turnover, sales]
    status: under_review
    related:
      is_a: [Metric]
  - name: Net Revenue
    definition: Revenue after returns and discounts
    abbreviation: NR
    related:
      is_a: [Revenue]
      related: [Metric]
"""


async def test_import_export_round_trip(
    glossary: Semantics, catalog_db: asyncpg.Connection
) -> None:
    dry = await glossary.ImportGlossary(
        pb.ImportGlossaryRequest(
            format=pb.GLOSSARY_FORMAT_YAML, content=GLOSSARY_YAML, dry_run=True
        )
    )
    assert list(dry.created) == ["Metric", "Revenue", "Net Revenue"] and dry.dry_run
    assert await catalog_db.fetchval("SELECT count(*) FROM catalog.business_terms") == 0

    done = await glossary.ImportGlossary(
        pb.ImportGlossaryRequest(format=pb.GLOSSARY_FORMAT_YAML, content=GLOSSARY_YAML),
        metadata=[("x-dc-actor", "sam")],
    )
    assert len(done.created) == 3
    revenue = await glossary.GetBusinessTerm(pb.GetBusinessTermRequest(term=named("Revenue")))
    assert revenue.status == UNDER_REVIEW and list(revenue.synonyms) == ["turnover", "sales"]
    assert [(h.to_status, h.actor, h.comment) for h in revenue.history] == [
        (UNDER_REVIEW, "sam", "imported")
    ]
    audits = audit_records(await outbox_rows(catalog_db), "business_term.import")
    assert len(audits) == 3

    for fmt in (pb.GLOSSARY_FORMAT_YAML, pb.GLOSSARY_FORMAT_CSV):
        exported = await glossary.ExportGlossary(pb.ExportGlossaryRequest(format=fmt))
        assert exported.term_count == 3 and "Net Revenue" in exported.content
        again = await glossary.ImportGlossary(
            pb.ImportGlossaryRequest(format=fmt, content=exported.content)
        )
        assert (list(again.created), list(again.updated)) == ([], [])
        assert sorted(again.unchanged) == ["Metric", "Net Revenue", "Revenue"]

    csv_text = (
        await glossary.ExportGlossary(pb.ExportGlossaryRequest(format=pb.GLOSSARY_FORMAT_CSV))
    ).content
    assert csv_text.splitlines()[0].startswith("name,definition,")
    changed = csv_text.replace("Money received from sales", "Money earned from sales")
    result = await glossary.ImportGlossary(
        pb.ImportGlossaryRequest(format=pb.GLOSSARY_FORMAT_CSV, content=changed)
    )
    assert list(result.updated) == ["Revenue"]


async def test_half_bad_import_writes_nothing(
    glossary: Semantics, catalog_db: asyncpg.Connection
) -> None:
    await add(glossary, "Metric")
    before = await counts(catalog_db)
    bad_files = {
        # the second entry names an unknown status, the third an unknown term
        "unknown": GLOSSARY_YAML.replace("status: under_review", "status: blessed").replace(
            "related: [Metric]", "related: [Nowhere]"
        ),
        # Metric is_a Net Revenue closes a cycle through the file's own terms
        "cycle": GLOSSARY_YAML.replace(
            "    status: approved\n",
            "    status: approved\n    related:\n      is_a: [Net Revenue]\n",
        ),
        "repeat": GLOSSARY_YAML + "  - name: metric\n    definition: again\n",
        "not yaml": "terms: [unclosed",
        "csv": "name,definition,colour\nA,b,red\n",
    }
    for label, content in bad_files.items():
        fmt = pb.GLOSSARY_FORMAT_CSV if label == "csv" else pb.GLOSSARY_FORMAT_YAML
        detail = await refused(
            glossary.ImportGlossary(pb.ImportGlossaryRequest(format=fmt, content=content)),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert detail, label
    detail = await refused(
        glossary.ImportGlossary(
            pb.ImportGlossaryRequest(format=pb.GLOSSARY_FORMAT_YAML, content=bad_files["unknown"])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "term 2" in detail and "blessed" in detail
    detail = await refused(
        glossary.ImportGlossary(
            pb.ImportGlossaryRequest(
                format=pb.GLOSSARY_FORMAT_YAML,
                content=GLOSSARY_YAML.replace("related: [Metric]", "related: [Nowhere]"),
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "term 3" in detail and "Nowhere" in detail
    assert await counts(catalog_db) == before
    detail = await refused(  # a format is required
        glossary.ImportGlossary(pb.ImportGlossaryRequest(content="a: b")),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "yaml, csv" in detail
    exported = await glossary.ExportGlossary(pb.ExportGlossaryRequest())
    assert exported.format == pb.GLOSSARY_FORMAT_YAML  # the default


async def test_links_and_forced_delete(
    glossary: Semantics, shop: catalog_pb2_grpc.CatalogServiceStub, catalog_db: asyncpg.Connection
) -> None:
    await add(glossary, "Order")
    await add(glossary, "Order Amount")
    link = await glossary.CreateTermLink(
        pb.CreateTermLinkRequest(
            ref=ref(ORDERS), term=named("order"), link_type=pb.TERM_LINK_TYPE_DEFINES
        ),
        metadata=[("x-dc-actor", "erin")],
    )
    assert (link.term_name, link.column, link.link_type, link.created_by) == (
        "Order",
        "",
        pb.TERM_LINK_TYPE_DEFINES,
        "erin",
    )
    assert link.object_urn == "urn:dcs:postgres:table:shop.sales:orders"
    col = await glossary.CreateTermLink(
        pb.CreateTermLinkRequest(ref=ref(ORDERS), column="amount", term=named("Order Amount"))
    )
    assert col.link_type == pb.TERM_LINK_TYPE_RELATED  # the default
    assert col.column_urn == "urn:dcs:postgres:table:shop.sales:orders.amount"
    on_orders = await glossary.ListTermLinks(pb.ListTermLinksRequest(ref=ref(ORDERS)))
    assert [(x.column, x.term_name) for x in on_orders.items] == [
        ("", "Order"),
        ("amount", "Order Amount"),
    ]
    term = await glossary.GetBusinessTerm(pb.GetBusinessTermRequest(term=named("Order")))
    assert term.link_count == 1

    before = await counts(catalog_db)
    await refused(
        glossary.CreateTermLink(
            pb.CreateTermLinkRequest(ref=ref(ORDERS), column="nope", term=named("Order"))
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await refused(
        glossary.CreateTermLink(pb.CreateTermLinkRequest(ref=ref(ORDERS), term=named("Nope"))),
        grpc.StatusCode.NOT_FOUND,
    )
    detail = await refused(
        glossary.DeleteBusinessTerm(pb.DeleteBusinessTermRequest(term=named("Order Amount"))),
        grpc.StatusCode.ABORTED,
    )
    assert "shop.sales.orders.amount" in detail and "force" in detail
    assert await counts(catalog_db) == before

    gone = await glossary.DeleteBusinessTerm(
        pb.DeleteBusinessTermRequest(term=named("Order Amount"), force=True)
    )
    assert gone.links_deleted == 1
    await glossary.DeleteTermLink(pb.DeleteTermLinkRequest(ref=ref(ORDERS), term=named("Order")))
    await refused(
        glossary.DeleteTermLink(pb.DeleteTermLinkRequest(ref=ref(ORDERS), term=named("Order"))),
        grpc.StatusCode.NOT_FOUND,
    )
    assert await catalog_db.fetchval("SELECT count(*) FROM catalog.term_links") == 0
    rows = await outbox_rows(catalog_db)
    assert [a.action for a in audit_records(rows) if a.action.startswith("term_link.")] == [
        "term_link.create",
        "term_link.create",
        "term_link.delete",
        "term_link.delete",
    ]
    assert sum(r["event_type"] == TERM_LINK_CHANGED.name for r in rows) == 4

    # A deprecated term takes no new links.
    await step(glossary, "Order", DEPRECATED, "sam")
    await refused(
        glossary.CreateTermLink(pb.CreateTermLinkRequest(ref=ref(ORDERS), term=named("Order"))),
        grpc.StatusCode.FAILED_PRECONDITION,
    )

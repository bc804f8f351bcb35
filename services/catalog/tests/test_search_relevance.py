"""Search relevance: a small realistic catalog (one warehouse, six schemas, glossary terms
linked to capsules) and the hits people expect first for each query. Ranking: exact name (or
ref / URN), name prefix, name words, columns and tags, descriptions, glossary terms, one typo."""

from __future__ import annotations

import json

import asyncpg
import pytest

from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc

Stub = catalog_pb2_grpc.CatalogServiceStub

# (schema, name, type, column names, source comment, tags)
CATALOG = [
    ("sales", "orders", "table", "order_id customer_id order_date total_amount status",
     "One row per customer order", []),
    ("sales", "order_items", "table", "order_id product_id quantity unit_price", "", []),
    ("sales", "orders_archive", "table", "order_id archived_at", "", []),
    ("sales", "customers", "table", "customer_id email first_name last_name signup_date",
     "People who buy things", ["pii"]),
    ("sales", "customer_addresses", "table", "customer_id street city postal_code country",
     "", []),
    ("sales", "returns", "table", "order_id reason refund_amount", "", []),
    ("sales", "big_orders", "view", "order_id total_amount", "Orders above 1000", []),
    ("finance", "invoices", "table", "invoice_id order_id amount due_date paid_at", "", []),
    ("finance", "payments", "table", "payment_id invoice_id amount payment_method status", "",
     []),
    ("finance", "payment_status_history", "table", "payment_id status changed_at", "", []),
    ("finance", "ledger_entries", "table", "entry_id account debit credit", "", []),
    ("finance", "revenue_daily", "materialized_view", "day revenue",
     "Daily recognised revenue", []),
    ("finance", "exchange_rates", "table", "currency rate day", "", []),
    ("marketing", "campaigns", "table", "campaign_id channel budget start_date", "", []),
    ("marketing", "campaign_clicks", "table", "campaign_id clicked_at", "", []),
    ("marketing", "email_events", "table", "email event_type opened_at", "", []),
    ("marketing", "web_sessions", "table", "session_id user_agent landing_page", "", []),
    ("marketing", "survey_responses", "table", "respondent_id score answered_at", "", []),
    ("hr", "employees", "table", "employee_id salary department_id hire_date", "", ["pii"]),
    ("hr", "departments", "table", "department_id title", "", []),
    ("ops", "shipments", "table", "shipment_id order_id carrier shipped_at delivered_at", "",
     []),
    ("ops", "warehouses", "table", "warehouse_id region capacity", "", []),
    ("ops", "inventory_daily", "table", "product_id warehouse_id on_hand day", "", []),
    ("ops", "suppliers", "table", "supplier_id title country", "", []),
    ("ops", "products", "table", "product_id sku title category price", "", []),
    ("analytics", "customer_lifetime_value", "table", "customer_id clv", "", []),
    ("analytics", "churn_scores", "table", "customer_id churn_probability", "", []),
    ("analytics", "dim_date", "table", "date_key year month", "", []),
    ("analytics", "fct_sales", "table", "date_key product_id revenue", "", []),
]  # fmt: skip
DELETED = ("sales", "old_orders")
# (term, abbreviation, synonyms, linked object)
TERMS = [
    ("Customer Lifetime Value", "CLV", [], "customer_lifetime_value"),
    ("Gross Merchandise Value", "GMV", ["gross sales"], "fct_sales"),
    ("Net Promoter Score", "NPS", [], "survey_responses"),
]

# query -> the refs expected first, in order
EXPECTED: list[tuple[str, list[str]]] = [
    ("orders", ["wh.sales.orders"]),  # exact name
    ("ORDERS", ["wh.sales.orders"]),
    ("  orders ", ["wh.sales.orders"]),
    ("order", ["wh.sales.orders", "wh.sales.order_items", "wh.sales.orders_archive"]),  # prefix
    ("order_it", ["wh.sales.order_items"]),
    ("cust", ["wh.sales.customers", "wh.sales.customer_addresses"]),
    ("customer_addresses", ["wh.sales.customer_addresses"]),
    ("invoice", ["wh.finance.invoices"]),
    ("invoices", ["wh.finance.invoices"]),
    ("payment status", ["wh.finance.payment_status_history", "wh.finance.payments"]),
    ("status", ["wh.finance.payment_status_history"]),  # a name word before columns
    ("big orders", ["wh.sales.big_orders"]),
    ("daily", ["wh.finance.revenue_daily", "wh.ops.inventory_daily"]),  # shorter name first
    ("clicks", ["wh.marketing.campaign_clicks"]),
    ("exchange rate", ["wh.finance.exchange_rates"]),
    ("session", ["wh.marketing.web_sessions"]),
    ("campaign", ["wh.marketing.campaigns", "wh.marketing.campaign_clicks"]),
    ("warehous", ["wh.ops.warehouses"]),
    ("empl", ["wh.hr.employees"]),
    ("fct", ["wh.analytics.fct_sales"]),
    ("date", ["wh.analytics.dim_date"]),  # name word before date columns
    ("lifetime value", ["wh.analytics.customer_lifetime_value"]),
    ("refund_amount", ["wh.sales.returns"]),  # a column
    ("carrier", ["wh.ops.shipments"]),
    ("salary", ["wh.hr.employees"]),
    ("sku", ["wh.ops.products"]),
    ("pii", ["wh.hr.employees", "wh.sales.customers"]),  # tags
    ("people who buy", ["wh.sales.customers"]),  # the source comment
    ("recognised", ["wh.finance.revenue_daily"]),
    ("gross merchandise", ["wh.analytics.fct_sales"]),  # glossary term
    ("gmv", ["wh.analytics.fct_sales"]),  # its abbreviation
    ("net promoter", ["wh.marketing.survey_responses"]),
    ("clv", ["wh.analytics.customer_lifetime_value"]),
    ("ordres", ["wh.sales.orders"]),  # one typo: a swap
    ("custmers", ["wh.sales.customers"]),  # a missing letter
    ("shipmnets", ["wh.ops.shipments"]),
    ("deparments", ["wh.hr.departments"]),
    ("warehousess", ["wh.ops.warehouses"]),  # an extra letter
    ("supplyers", ["wh.ops.suppliers"]),  # a wrong letter
    ("wh.sales.orders", ["wh.sales.orders"]),  # the ref
    ("urn:dcs:postgres:table:wh.ops:products", ["wh.ops.products"]),  # the URN
]
NOTHING = ["zzzz", "%", "___", "qqqqqqq", "old_orders"]  # deleted objects are not found


@pytest.fixture
async def catalog(stub: Stub, catalog_db: asyncpg.Connection) -> Stub:
    source_id = await catalog_db.fetchval(
        "INSERT INTO catalog.sources (name, source_type, connection_encrypted) "
        "VALUES ('wh', 'postgres', '\\x00') RETURNING id"
    )
    rows = [
        (schema, name, kind, cols, json.dumps({"comment": comment}), json.dumps(tags), False)
        for schema, name, kind, cols, comment, tags in CATALOG
    ] + [(*DELETED, "table", "order_id", "{}", "[]", True)]
    await catalog_db.executemany(
        "INSERT INTO catalog.objects (source_id, schema_name, name, object_type, ref, urn, "
        "content_hash, column_names, source_metadata, tags, deleted) "
        "VALUES ($1, $2, $3, $4::text, 'wh.' || $2 || '.' || $3, "
        "'urn:dcs:postgres:' || $4 || ':wh.' || $2 || ':' || $3, 'x', $5, $6::jsonb, $7::jsonb, "
        "$8)",
        [(source_id, *row) for row in rows],
    )
    for name, abbreviation, synonyms, linked in TERMS:
        term_id = await catalog_db.fetchval(
            "INSERT INTO catalog.business_terms (name, definition, abbreviation, synonyms) "
            "VALUES ($1, 'a business term', $2, $3::jsonb) RETURNING id",
            name,
            abbreviation,
            json.dumps(synonyms),
        )
        await catalog_db.execute(
            "INSERT INTO catalog.term_links (term_id, object_id, link_type) "
            "SELECT $1, id, 'defines' FROM catalog.objects WHERE name = $2",
            term_id,
            linked,
        )
    return stub


async def test_expected_hits_come_first(catalog: Stub) -> None:
    misses = []
    for query, expected in EXPECTED:
        response = await catalog.ListObjects(pb.ListObjectsRequest(query=query))
        got = [o.ref for o in response.items][: len(expected)]
        if got != expected:
            misses.append(f"{query!r}: expected {expected}, got {got}")
    assert not misses, "\n".join(misses)
    assert len(EXPECTED) >= 30


async def test_no_hits(catalog: Stub) -> None:
    for query in NOTHING:
        response = await catalog.ListObjects(pb.ListObjectsRequest(query=query))
        assert [o.ref for o in response.items] == [], query


async def test_facets_count_every_match(catalog: Stub) -> None:
    response = await catalog.ListObjects(pb.ListObjectsRequest(query="order", include_facets=True))
    facets = {f.name: {c.value: c.count for c in f.counts} for f in response.facets}
    refs = {o.ref for o in response.items}
    assert sum(facets["schema"].values()) == len(refs) == sum(facets["source"].values())
    assert facets["schema"]["sales"] == len({r for r in refs if r.startswith("wh.sales.")})
    filtered = await catalog.ListObjects(
        pb.ListObjectsRequest(query="pii", object_type="table", include_facets=True)
    )
    assert {f.name: {c.value: c.count for c in f.counts} for f in filtered.facets}["tag"] == {
        "pii": 2
    }

"""An object's structure over REST: constraints, indexes, versions/diff, lineage, transformation
code, deprecations, ranked search with facets — against a real catalog service, PostgreSQL and
NATS."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from api_testkit import Stack, admin

from devstack.urls import with_database

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_struct"  # this module's source (the `shop` fixture scans it)

ORDERS_URN = f"urn:dcs:postgres:table:{SHOP}.sales:orders"
CUSTOMERS_URN = f"urn:dcs:postgres:table:{SHOP}.sales:customers"


async def source_sql(stack: Stack, sql: str) -> None:
    await admin(with_database(stack.database_url, stack.source_database), sql)


async def rescan(client: httpx.AsyncClient) -> dict[str, Any]:
    resp = await client.post(f"/sources/{SHOP}/scans", params={"wait": "true"})
    assert resp.status_code == 201, resp.text
    run: dict[str, Any] = resp.json()
    assert run["status"] == "succeeded", run
    return run


async def test_constraints_and_indexes(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.get(f"/capsules/{ORDERS_URN}/constraints")
    assert resp.status_code == 200, resp.text
    cons = resp.json()["items"]
    (fk,) = [c for c in cons if c["constraint_type"] == "foreign_key"]
    assert fk["referenced_object_urn"] == CUSTOMERS_URN
    assert fk["referenced_column_urns"] == [f"{CUSTOMERS_URN}.id"]
    assert fk["on_delete"] == "NO ACTION" and fk["origin"] == "scanned"
    assert {c["constraint_type"] for c in cons} == {
        "primary_key",
        "foreign_key",
        "not_null",
        "default",
    }
    # The ref form works as well.
    same = await client.get(f"/capsules/{SHOP}.sales.orders/constraints")
    assert same.json() == resp.json()

    resp = await client.get(f"/capsules/{ORDERS_URN}/indexes")
    assert resp.status_code == 200
    (pkey,) = resp.json()["items"]
    assert pkey["name"] == "orders_pkey" and pkey["primary"] and pkey["columns"] == ["id"]
    assert pkey["index_type"] == "btree" and pkey["predicate"] is None

    resp = await client.post(
        f"/capsules/{ORDERS_URN}/constraints",
        json={"constraint_type": "unique", "columns": ["customer_id", "note"], "name": "u1"},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["origin"] == "declared" and resp.json()["enforced"] is False
    bad_bodies: list[dict[str, Any]] = [
        {"constraint_type": "unique", "columns": []},
        {"constraint_type": "bogus", "columns": ["id"]},
        {"constraint_type": "unique", "columns": ["nope"]},
        {"constraint_type": "foreign_key", "columns": ["id"], "referenced_object": "x.y.z"},
        {"constraint_type": "unique", "columns": ["id"], "extra": 1},
    ]
    for body in bad_bodies:
        resp = await client.post(f"/capsules/{ORDERS_URN}/constraints", json=body)
        assert resp.status_code in (400, 404), (body, resp.text)
    cons = (await client.get(f"/capsules/{ORDERS_URN}/constraints")).json()["items"]
    assert [c["name"] for c in cons if c["origin"] == "declared"] == ["u1"]
    missing = await client.get(f"/capsules/urn:dcs:postgres:table:{SHOP}.sales:nope/indexes")
    assert missing.status_code == 404


async def test_view_lineage_and_declared_edges(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    view = quote(f"{SHOP}.sales.big.orders")
    resp = await client.get(f"/objects/{view}/lineage", params={"direction": "upstream"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["view_parse"]["confidence"] == 1.0 and body["view_parse"]["error"] is None
    edges = {(e["upstream_ref"], e["edge_type"], e["upstream_column"]) for e in body["edges"]}
    assert (f"{SHOP}.sales.orders", "flows_to", None) in edges
    assert (f"{SHOP}.sales.orders", "derived_from", "amount") in edges
    assert (f"{SHOP}.sales.customers", "references", None) in edges  # via orders' foreign key
    resp = await client.get(
        f"/objects/{view}/lineage", params={"direction": "upstream", "depth": 1}
    )
    assert {e["depth"] for e in resp.json()["edges"]} == {1}
    for params in ({"direction": "sideways"}, {"depth": 0}, {"depth": 11}):
        assert (await client.get(f"/objects/{view}/lineage", params=params)).status_code == 400

    resp = await client.post(
        "/lineage/edges",
        json={"upstream": f"{SHOP}.sales.customers", "downstream": f"{SHOP}.sales.big.orders"},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["origin"] == "declared"
    resp = await client.post(
        "/lineage/edges", json={"upstream": f"{SHOP}.sales.orders", "downstream": "x.y.z"}
    )
    assert resp.status_code == 404
    resp = await client.post(
        "/lineage/edges",
        json={"upstream": "a.b.c", "downstream": "d.e.f", "confidence": 2},
    )
    assert resp.status_code == 400

    resp = await client.get(f"/capsules/{view}/transformation-code")
    assert resp.status_code == 200
    (code,) = resp.json()["items"]
    assert code["origin"] == "scanned" and "FROM sales.orders" in code["code_text"]
    resp = await client.post(
        f"/capsules/{view}/transformation-code",
        json={"language": "sql", "code_text": "select 1", "git_commit_sha": "abc1234"},
    )
    assert resp.status_code == 201 and resp.json()["git_commit_sha"] == "abc1234"
    resp = await client.post(
        f"/capsules/{view}/transformation-code",
        json={"language": "sql", "code_text": "select 1", "git_commit_sha": "not-hex"},
    )
    assert resp.status_code == 400


async def test_search_ranks_exact_name_first_with_facets(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    # Other modules' sources on the session stack have their `orders` too: search this one's.
    mine = {"source": SHOP}
    resp = await client.get("/objects", params={**mine, "q": "orders", "facets": "true"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["items"][0]["ref"] == f"{SHOP}.sales.orders"
    assert body["facets"]["source"] == {SHOP: len(body["items"])}
    resp = await client.get("/objects", params={**mine, "q": "ordrs"})
    assert resp.json()["items"][0]["ref"] == f"{SHOP}.sales.orders"
    assert "facets" not in (await client.get("/objects", params={"q": "orders"})).json()


async def test_dropped_column_makes_a_breaking_version(
    stack: Stack, client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    resp = await client.get(f"/capsules/{CUSTOMERS_URN}/versions")
    assert [v["version"] for v in resp.json()["items"]] == ["1.0.0"]
    await source_sql(stack, "ALTER TABLE sales.customers DROP COLUMN name; ANALYZE")
    run = await rescan(client)
    assert run["objects_updated"] == 1 and run["objects_total"] == run["objects_found"]
    resp = await client.get(f"/capsules/{CUSTOMERS_URN}/versions")
    versions = resp.json()["items"]
    assert [v["version"] for v in versions] == ["2.0.0", "1.0.0"]
    assert versions[0]["breaking"] and versions[0]["changes"][0] == {
        "kind": "column_removed",
        "target": "name",
        "detail": "character varying(100)",
        "breaking": True,
    }
    resp = await client.get(f"/capsules/{CUSTOMERS_URN}/diff", params={"from": "1"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["breaking"] and resp.json()["bump"] == "major"
    resp = await client.get(f"/capsules/{CUSTOMERS_URN}/versions/1.0.0")
    assert "name" in [c["name"] for c in resp.json()["schema"]["columns"]]
    assert (await client.get(f"/capsules/{CUSTOMERS_URN}/versions/7")).status_code == 404
    assert (await client.get(f"/capsules/{CUSTOMERS_URN}/diff")).status_code == 400


async def test_deprecation_campaigns(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    deadline = (date.today() + timedelta(days=30)).isoformat()
    resp = await client.post(
        "/deprecations",
        json={
            "ref": f"{SHOP}.sales.customers",
            "deadline": deadline,
            "replacement": ORDERS_URN,
            "message": "moving to orders",
        },
    )
    assert resp.status_code == 201, resp.text
    dep = resp.json()
    assert dep["object_urn"] == CUSTOMERS_URN and dep["deadline"] == deadline
    assert dep["status"] == "active" and dep["days_left"] in (29, 30, 31)  # UTC vs local date
    assert dep["replacement_ref"] == f"{SHOP}.sales.orders" and dep["withdrawn_at"] is None
    assert dep["last_notice_days"] is None and dep["message"] == "moving to orders"

    obj = (await client.get(f"/objects/{SHOP}.sales.customers")).json()
    assert obj["deprecation"]["id"] == dep["id"] and obj["columns"]
    assert (await client.get(f"/objects/{ORDERS_URN}")).json()["deprecation"] is None

    async def campaigns(status: str) -> list[dict[str, Any]]:  # of this module's source
        resp = await client.get("/deprecations", params={"status": status, "limit": 500})
        return [d for d in resp.json()["items"] if d["object_ref"].startswith(f"{SHOP}.")]

    assert [d["object_ref"] for d in await campaigns("active")] == [f"{SHOP}.sales.customers"]
    resp = await client.get(f"/deprecations/{CUSTOMERS_URN}")
    assert resp.status_code == 200 and resp.json()["id"] == dep["id"]

    past = (date.today() - timedelta(days=2)).isoformat()
    for body, status, code in (
        ({"ref": f"{SHOP}.sales.orders", "deadline": past}, 400, "INVALID_ARGUMENT"),
        ({"ref": f"{SHOP}.sales.orders", "deadline": "soon"}, 400, "INVALID_ARGUMENT"),
        (
            {"ref": f"{SHOP}.sales.orders", "deadline": deadline, "replacement": f"{SHOP}.sales.x"},
            400,
            "INVALID_ARGUMENT",
        ),
        ({"ref": f"{SHOP}.sales.nope", "deadline": deadline}, 404, "NOT_FOUND"),
        (
            {"ref": f"{SHOP}.sales.orders", "deadline": deadline, "extra": 1},
            400,
            "INVALID_ARGUMENT",
        ),
    ):
        resp = await client.post("/deprecations", json=body)
        assert resp.status_code == status, (body, resp.text)
        assert resp.json()["error"]["code"] == code
    assert (await client.get("/deprecations", params={"status": "bogus"})).status_code == 400
    assert (await client.get(f"/deprecations/{SHOP}.sales.orders")).status_code == 404

    resp = await client.delete(f"/deprecations/{SHOP}.sales.customers")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "withdrawn" and resp.json()["withdrawn_at"]
    assert (await client.delete(f"/deprecations/{SHOP}.sales.customers")).status_code == 404
    assert (await client.get(f"/objects/{SHOP}.sales.customers")).json()["deprecation"] is None
    assert [d["id"] for d in await campaigns("withdrawn")] == [dep["id"]]
    assert await campaigns("active") == []

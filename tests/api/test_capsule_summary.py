"""`GET /capsules/{urn}`: the seven dimensions in one call through the real services; a down
service leaves its dimensions unavailable and the answer still 200; a viewer sees profiled
sample values masked; an unknown capsule is 404."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_testkit import ADMIN_KEY, Stack, serve, table_source, unreachable, user_client

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_capsule"  # this module's source (the `shop` fixture scans it)

ORDERS = f"{SHOP}.sales.orders"
CUSTOMERS = f"{SHOP}.sales.customers"
ORDERS_URN = f"urn:dcs:postgres:table:{SHOP}.sales:orders"


def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def described(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    """orders with a term, a column meaning, a rule, an owner, a classification, a policy."""
    ok(await client.post("/business-terms", json={"name": "Revenue", "definition": "Money"}), 201)
    ok(await client.post(f"/capsules/{ORDERS}/business-terms/Revenue", json={}), 201)
    body = {"business_definition": "Total", "unit_of_measure": "USD", "min_value": 0}
    ok(await client.patch(f"/capsules/{ORDERS}/columns/amount", json=body))
    rule = {"rule_type": "not_null", "column": "note", "severity": "error"}
    ok(await client.post(f"/capsules/{ORDERS}/quality-rules", json=rule), 201)
    ok(await client.post(f"/ownership/objects/{ORDERS}", json={"user": "olga"}), 201)
    ok(await client.put(f"/classification/objects/{ORDERS}", json={"level": "internal"}))
    ok(await client.post(f"/capsules/{ORDERS}/policies", json={"sensitivity": "internal"}), 201)


async def test_the_seven_dimensions_in_one_call(client: httpx.AsyncClient, described: None) -> None:
    by_ref = ok(await client.get(f"/capsules/{ORDERS}"))
    by_urn = ok(await client.get(f"/capsules/{ORDERS_URN}"))
    # Completeness follows the fixture's events as they arrive: compared on its own below.
    assert {**by_urn, "completeness": None} == {**by_ref, "completeness": None}
    assert (by_ref["urn"], by_ref["ref"], by_ref["name"]) == (ORDERS_URN, ORDERS, "orders")
    assert by_ref["payload"]["details"]["source"] == SHOP

    structure = by_ref["structure"]
    assert structure["counts"]["columns"] == 4 and structure["counts"]["primary_keys"] == 1
    assert structure["counts"]["foreign_keys"] == 1 and structure["counts"]["versions"] == 3
    # the scan's version, then one patch version per semantic edit (term link, column meaning)
    assert [c["name"] for c in structure["details"]["columns"]][:2] == ["id", "customer_id"]

    semantics = by_ref["semantics"]
    assert semantics["counts"]["business_terms"] == 1
    assert semantics["counts"]["columns_defined"] == 1
    assert semantics["details"]["business_terms"] == ["Revenue"]
    assert semantics["details"]["columns"]["amount"]["unit_of_measure"] == "USD"
    assert semantics["details"]["columns"]["amount"]["claims"] == {"min_value": 0}

    quality = by_ref["quality"]
    assert quality["counts"]["rules"] == 1 and quality["details"]["rule_types"] == {"not_null": 1}
    assert quality["details"]["profile"] is None  # never profiled: not an error

    policy = by_ref["policy"]
    assert policy["details"]["owners"] == [{"user": "olga", "role": "owner"}]
    assert policy["details"]["classification"] == "internal"
    assert policy["counts"]["policies"] == 1

    lineage = by_ref["lineage"]
    assert lineage["details"]["upstream"] == [CUSTOMERS]  # the foreign key
    assert f"{SHOP}.sales.big.orders" in lineage["details"]["downstream"]  # the view

    assert by_ref["contract"] == {
        "available": False,
        "error": "data contracts are not yet available",
        "counts": {},
        "details": {},
        "links": {},
    }
    completeness = by_ref["completeness"]["details"]
    assert 0 < completeness["score"] < 100 and completeness["not_yet_available"] == ["contract"]
    for name in (
        "payload",
        "structure",
        "semantics",
        "quality",
        "policy",
        "lineage",
        "completeness",
    ):
        section = by_ref[name]
        assert section["available"] and section["error"] is None, name
        for link in section["links"].values():  # every link is a route that answers
            assert (await client.get(link)).status_code == 200, (name, link)


async def test_a_down_service_gives_a_partial_answer(stack: Stack, described: None) -> None:
    # A second gateway on the same stack, quality and governance pointing where nothing listens
    # (the bootstrap admin key is checked by the gateway itself).
    settings = stack.gateway_settings(quality_addr=unreachable(), governance_addr=unreachable())
    async with (
        serve(settings) as url,
        httpx.AsyncClient(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30
        ) as http,
    ):
        got = ok(await http.get(f"/capsules/{ORDERS}"))
    for name, service in (("quality", "quality"), ("policy", "governance")):
        assert got[name] == {
            "available": False,
            "error": f"the {service} service is unavailable",
            "counts": {},
            "details": {},
            "links": {},
        }
    assert got["structure"]["available"] and got["lineage"]["available"]
    assert got["semantics"]["counts"]["business_terms"] == 1


async def test_a_viewer_sees_profiled_values_masked(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    sql = (
        "CREATE TABLE public.members (id integer PRIMARY KEY, email text);"
        "INSERT INTO public.members SELECT g, 'member' || g || '@example.org'"
        " FROM generate_series(1, 20) g"
    )
    members = "capsrc.public.members"
    async with table_source(stack, client, "capsrc", sql):
        rule = {"method": "redaction", "exempt_roles": ["steward"]}
        ok(await client.post(f"/columns/{members}.email/masking-rules", json=rule), 201)
        ok(await client.post(f"/capsules/{members}/profile", json={"wait": True}), 201)
        async with user_client(client, "capsule-viewer", "viewer") as viewer:
            seen = ok(await viewer.get(f"/capsules/{members}"))
        async with user_client(client, "capsule-steward", "steward") as steward:
            clear = ok(await steward.get(f"/capsules/{members}"))
    email = seen["quality"]["details"]["profile"]["columns"]["email"]
    assert email["masked"] and email["most_common_values"]
    assert not any("@example.org" in str(v) for v in email["most_common_values"])
    assert seen["policy"]["details"]["masked_columns"] == ["email"]
    shown = clear["quality"]["details"]["profile"]["columns"]["email"]
    assert not shown["masked"]
    assert all("@example.org" in v["value"] for v in shown["most_common_values"])


async def test_an_unknown_capsule_is_404(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.get(f"/capsules/{SHOP}.sales.nope")
    assert resp.status_code == 404, resp.text
    assert resp.json()["error"]["code"] == "NOT_FOUND"

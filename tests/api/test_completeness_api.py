"""Metadata completeness through the real services: scores kept by events (a description, an
owner, a rule, a policy, a classification, a term each raise a capsule's score), the least
complete first, filters (source, layer, domain, owner), the capsule summary and the CLI."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from api_testkit import Stack, cli

from devstack.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_complete"  # this module's source (the `shop` fixture scans it)

VIEW = f"{SHOP}.sales.big.orders"
ORDERS = f"{SHOP}.sales.orders"


def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json() if status != 204 else None


async def _score(client: httpx.AsyncClient, ref: str) -> dict[str, Any]:
    got: dict[str, Any] = ok(await client.get(f"/capsules/{ref}/completeness"))
    return got


async def _until(client: httpx.AsyncClient, ref: str, check: Any) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        got = await _score(client, ref)
        return got if check(got) else None

    return await eventually(probe)


async def test_events_raise_the_score(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    listed = await eventually(
        lambda: _listed(client, {"source": SHOP}, lambda items: len(items) == 3)
    )
    scores = [i["score"] for i in listed]
    assert scores == sorted(scores)  # least complete first
    assert listed[0]["object_ref"] == VIEW  # no description, no column comments

    start = await _score(client, VIEW)
    assert "description" in start["missing"] and "owner" in start["missing"]
    contract = [i for i in start["items"] if i["name"] == "contract"]
    assert contract == [{"name": "contract", "weight": 0, "achieved": 0, "available": False}]

    ok(await client.patch(f"/objects/{VIEW}", json={"description": "Orders above 100"}))
    described = await _until(client, VIEW, lambda g: "description" not in g["missing"])
    assert described["score"] > start["score"]

    ok(await client.post(f"/ownership/objects/{VIEW}", json={"user": "olga"}), 201)
    owned = await _until(client, VIEW, lambda g: "owner" not in g["missing"])
    assert owned["score"] > described["score"] and owned["owners"] == ["owner:olga"]

    rule = {"rule_type": "not_null", "column": "id"}
    made = ok(await client.post(f"/capsules/{VIEW}/quality-rules", json=rule), 201)
    ruled = await _until(client, VIEW, lambda g: "quality_rules" not in g["missing"])
    assert ruled["score"] > owned["score"]

    ok(await client.post(f"/capsules/{VIEW}/policies", json={"sensitivity": "internal"}), 201)
    ok(await client.put(f"/classification/objects/{VIEW}", json={"level": "internal"}))
    ok(await client.post("/business-terms", json={"name": "Big order", "definition": "> 100"}), 201)
    ok(await client.post(f"/capsules/{VIEW}/business-terms/Big order", json={}), 201)
    body = {"business_definition": "The order"}
    ok(await client.patch(f"/capsules/{VIEW}/columns/id", json=body))
    ok(await client.patch(f"/capsules/{VIEW}/columns/amount", json={"business_definition": "$"}))
    full = await _until(client, VIEW, lambda g: not g["missing"])
    assert full["score"] == 100 and full["columns_defined"] == full["columns"] == 2

    # Taking something away lowers it again (the removal events count too).
    ok(await client.delete(f"/quality-rules/{made['id']}"), 204)
    ok(await client.delete(f"/ownership/objects/{VIEW}/olga"), 204)
    less = await _until(client, VIEW, lambda g: {"owner", "quality_rules"} <= set(g["missing"]))
    assert less["score"] < 100


async def _listed(
    client: httpx.AsyncClient, params: dict[str, str], check: Any = bool
) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = ok(await client.get("/completeness", params=params))["items"]
    return items if check(items) else None


async def test_filters_and_paging(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    ok(await client.patch(f"/objects/{ORDERS}", json={"layer": "gold"}))
    ok(await client.post(f"/ownership/objects/{ORDERS}", json={"user": "fred"}), 201)
    ok(await client.post("/ownership/domains", json={"name": "Completeness Sales"}), 201)
    ok(await client.post(f"/ownership/domains/Completeness Sales/objects/{ORDERS}"))

    async def only_orders(params: dict[str, str]) -> None:
        found = await eventually(lambda: _listed(client, params))
        assert [i["object_ref"] for i in found] == [ORDERS], params

    await only_orders({"owner": "fred"})
    await only_orders({"domain": "completeness sales"})
    got = await _score(client, ORDERS)
    assert got["domain"] == "Completeness Sales" and got["layer"] == "gold"
    assert (
        ok(await client.get("/completeness", params={"layer": "gold", "source": SHOP}))["items"][0][
            "object_ref"
        ]
        == ORDERS
    )
    assert not ok(await client.get("/completeness", params={"source": "nope"}))["items"]
    first = ok(await client.get("/completeness", params={"limit": 1}))
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = ok(
        await client.get("/completeness", params={"limit": 1, "cursor": first["next_cursor"]})
    )
    assert second["items"][0]["object_ref"] != first["items"][0]["object_ref"]
    assert (await client.get(f"/capsules/{SHOP}.sales.nope/completeness")).status_code == 404

    capsule = ok(await client.get(f"/capsules/{ORDERS}"))
    assert capsule["completeness"]["details"]["score"] == got["score"]
    # The object itself carries the stored score (GET only).
    assert ok(await client.get(f"/objects/{ORDERS}"))["completeness_score"] == got["score"]


async def test_the_cli(stack: Stack, client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    table = await cli(stack, "completeness", "--source", SHOP)
    assert table.exit_code == 0, table.output
    assert VIEW in table.output and "SCORE" in table.output
    out = await cli(stack, "completeness", "--source", SHOP, "--format", "json")
    assert out.exit_code == 0, out.output
    assert {i["object_ref"] for i in json.loads(out.output)["items"]} >= {ORDERS, VIEW}
    ok(await client.patch(f"/objects/{ORDERS}", json={"layer": "gold"}))
    layered = await cli(stack, "completeness", "--layer", "gold", "--format", "json")
    assert layered.exit_code == 0, layered.output
    assert [i["object_ref"] for i in json.loads(layered.output)["items"]] == [ORDERS], (
        layered.output
    )

"""Ownership and domains over REST and the CLI, against the real governance and catalog
services; owners and stewards of an object may edit it whatever their role."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from api_testkit import Stack, cli

from devstack.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_own"  # this module's source (the `shop` fixture scans it)

CUSTOMERS = f"{SHOP}.sales.customers"
ORDERS = f"{SHOP}.sales.orders"
VIEW = f"{SHOP}.sales.big.orders"  # test_owners_over_rest's own
DOMAINS = ("Sales", "Customer Data", "Orders")  # test_domains_over_rest's own


async def my_objects(client: httpx.AsyncClient, ref: str) -> list[tuple[str, str]]:
    """The caller's roles on `ref` by my-objects (other tests' objects aside)."""
    items = (await client.get("/ownership/my-objects", params={"limit": 500})).json()["items"]
    return [(o["object_ref"], o["role"]) for o in items if o["object_ref"] == ref]


def _error(resp: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = resp.json()["error"]
    return body


async def test_owners_over_rest(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.post(f"/ownership/objects/{VIEW}", json={"email": "Data-Team@Company.com"})
    assert resp.status_code == 201, resp.text
    assert (resp.json()["user"], resp.json()["role"]) == ("data-team@company.com", "owner")
    assert resp.json()["assigned_by"] == "bootstrap-admin"
    resp = await client.post(
        f"/ownership/objects/{VIEW}", json={"user": "bootstrap-admin", "role": "steward"}
    )
    assert resp.status_code == 201, resp.text

    got = (await client.get(f"/ownership/objects/{VIEW}")).json()
    assert [(o["user"], o["role"]) for o in got["owners"]] == [
        ("data-team@company.com", "owner"),
        ("bootstrap-admin", "steward"),
    ]
    assert await my_objects(client, VIEW) == [(VIEW, "steward")]

    resp = await client.delete(
        f"/ownership/objects/{VIEW}/bootstrap-admin", params={"role": "steward"}
    )
    assert resp.status_code == 204, resp.text
    assert await my_objects(client, VIEW) == []

    async def audited() -> list[str] | None:
        resp = await client.get("/audit/events", params={"entity": VIEW, "limit": 100})
        actions = [e["action"] for e in resp.json()["items"] if e["action"].startswith("own")]
        return actions if len(actions) >= 3 else None

    actions = await eventually(audited)
    assert sorted(actions) == ["ownership.assign", "ownership.assign", "ownership.remove"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needle"),
    [
        ("POST", f"/ownership/objects/{VIEW}", {"email": "nope"}, 400, "nope"),
        ("POST", f"/ownership/objects/{VIEW}", {}, 400, "exactly one"),
        ("POST", f"/ownership/objects/{VIEW}", {"user": "a", "role": "boss"}, 400, "role"),
        ("POST", f"/ownership/objects/{SHOP}.sales.nope", {"user": "a"}, 404, "nope"),
        ("DELETE", f"/ownership/objects/{VIEW}/zed", None, 404, "zed"),
        ("POST", "/ownership/domains", {"name": "7"}, 400, "digits"),
        ("POST", "/ownership/domains", {"name": "X", "parent": "Nowhere"}, 404, "Nowhere"),
        ("GET", "/ownership/domains/Nowhere", None, 404, "Nowhere"),
        ("PATCH", "/ownership/domains/Nowhere", {}, 400, "at least one"),
        ("POST", f"/ownership/domains/Nowhere/objects/{VIEW}", None, 404, "Nowhere"),
    ],
)  # fmt: skip
async def test_bad_input(
    client: httpx.AsyncClient,
    shop: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    needle: str,
) -> None:
    resp = await client.request(method, path, json=body)
    assert resp.status_code == status, resp.text
    assert needle in json.dumps(resp.json())


async def test_domains_over_rest(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    for body in (
        {"name": "Sales", "description": "revenue"},
        {"name": "Customer Data", "parent": "Sales"},
        {"name": "Orders", "parent": "Sales"},
    ):
        resp = await client.post("/ownership/domains", json=body)
        assert resp.status_code == 201, resp.text
    # Domains are global: other tests' domains aside.
    tree = (await client.get("/ownership/domains", params={"tree": "true"})).json()["items"]
    assert [
        (d["name"], [c["name"] for c in d["subdomains"]]) for d in tree if d["name"] in DOMAINS
    ] == [("Sales", ["Customer Data", "Orders"])]
    flat = (await client.get("/ownership/domains", params={"limit": 500})).json()["items"]
    assert [d["name"] for d in flat if d["name"] in DOMAINS] == list(DOMAINS)

    resp = await client.patch("/ownership/domains/Sales", json={"parent": "Orders"})
    assert resp.status_code == 400 and "Sales → Orders → Sales" in _error(resp)["message"]

    resp = await client.post(f"/ownership/domains/Customer Data/objects/{CUSTOMERS}")
    assert resp.status_code == 200 and resp.json()["domain"] == "Customer Data", resp.text
    objects = (await client.get("/ownership/domains/Customer Data/objects")).json()["items"]
    assert [o["object_ref"] for o in objects] == [CUSTOMERS]
    shown = (await client.get("/ownership/domains/Sales")).json()
    assert shown["children"] == ["Customer Data", "Orders"] and shown["parent"] is None

    resp = await client.delete("/ownership/domains/Sales")
    assert resp.status_code == 400 and "Customer Data" in _error(resp)["message"]
    resp = await client.delete("/ownership/domains/Customer Data")
    assert resp.status_code == 400 and "object" in _error(resp)["message"]
    assert (await client.delete("/ownership/domains/Orders")).status_code == 204
    resp = await client.patch("/ownership/domains/Customer Data", json={"parent": None})
    assert resp.status_code == 200 and resp.json()["parent"] is None


async def _viewer(client: httpx.AsyncClient, stack: Stack, name: str) -> httpx.AsyncClient:
    resp = await client.post(
        "/auth/users", json={"username": name, "password": "x" * 16, "role": "viewer"}
    )
    assert resp.status_code == 201, resp.text
    resp = await client.post("/auth/api-keys", json={"name": "t", "user": name})
    assert resp.status_code == 201, resp.text
    return httpx.AsyncClient(
        base_url=f"{stack.gateway_url}/api/v1",
        headers={"Authorization": f"Bearer {resp.json()['key']}"},
        timeout=30,
    )


async def test_owners_and_stewards_edit_their_objects(
    client: httpx.AsyncClient, stack: Stack, shop: dict[str, Any]
) -> None:
    async with await _viewer(client, stack, "olivia") as olivia:
        patch = {"description": "owned by olivia"}
        resp = await olivia.patch(f"/objects/{CUSTOMERS}", json=patch)
        assert resp.status_code == 403, resp.text  # not yet her object
        resp = await olivia.post(f"/ownership/objects/{CUSTOMERS}", json={"user": "olivia"})
        assert resp.status_code == 403  # ownership itself stays with stewards

        resp = await client.post(f"/ownership/objects/{CUSTOMERS}", json={"user": "olivia"})
        assert resp.status_code == 201, resp.text
        resp = await olivia.patch(f"/objects/{CUSTOMERS}", json=patch)
        assert resp.status_code == 200 and resp.json()["description"] == patch["description"]
        resp = await olivia.put(
            f"/classification/objects/{CUSTOMERS}/columns/email", json={"level": "confidential"}
        )
        assert resp.status_code == 200, resp.text
        # Others' objects, other routes and unknown objects stay closed.
        assert (await olivia.patch(f"/objects/{ORDERS}", json=patch)).status_code == 403
        resp = await olivia.put(f"/classification/objects/{ORDERS}", json={"level": "public"})
        assert resp.status_code == 403
        assert (await olivia.patch(f"/objects/{SHOP}.sales.nope", json=patch)).status_code == 403
        assert (await olivia.post("/classification/rules/apply")).status_code == 403
        assert (await olivia.post("/ownership/domains", json={"name": "Z"})).status_code == 403

        # A delegate gains nothing; removing the owner role takes the rights away.
        resp = await client.post(
            f"/ownership/objects/{ORDERS}", json={"user": "olivia", "role": "delegate"}
        )
        assert resp.status_code == 201
        assert (await olivia.patch(f"/objects/{ORDERS}", json=patch)).status_code == 403
        mine = (await olivia.get("/ownership/my-objects")).json()["items"]
        assert {(o["object_ref"], o["role"]) for o in mine} == {
            (CUSTOMERS, "owner"),
            (ORDERS, "delegate"),
        }
        resp = await client.delete(f"/ownership/objects/{CUSTOMERS}/olivia")
        assert resp.status_code == 204
        assert (await olivia.patch(f"/objects/{CUSTOMERS}", json=patch)).status_code == 403


async def test_cli_owner_steward_domain(stack: Stack, shop: dict[str, Any]) -> None:
    result = await cli(stack, "owner", "assign", ORDERS, "--email", "data-team@company.com")
    assert result.exit_code == 0, result.output
    result = await cli(stack, "steward", "assign", ORDERS, "--user", "bootstrap-admin")
    assert result.exit_code == 0, result.output
    result = await cli(stack, "-o", "json", "owner", "list", ORDERS)
    assert result.exit_code == 0, result.output
    owners = {(o["user"], o["role"]) for o in json.loads(result.output)["owners"]}
    assert {("data-team@company.com", "owner"), ("bootstrap-admin", "steward")} <= owners
    result = await cli(stack, "-o", "json", "owner", "my-objects")
    mine = [o["object_ref"] for o in json.loads(result.output)]
    assert [ref for ref in mine if ref in (ORDERS, CUSTOMERS)] == [ORDERS]
    result = await cli(stack, "owner", "remove", ORDERS, "--email", "data-team@company.com")
    assert result.exit_code == 0, result.output
    result = await cli(stack, "owner", "assign", ORDERS, "--email", "bad address")
    assert result.exit_code != 0 and "bad address" in result.output
    result = await cli(stack, "owner", "assign", ORDERS)
    assert result.exit_code != 0 and "--email" in result.output

    for args in (("Finance",), ("Billing", "--parent", "Finance")):
        result = await cli(stack, "domain", "create", *args)
        assert result.exit_code == 0, result.output
    result = await cli(stack, "domain", "assign", ORDERS, "--domain", "Billing")
    assert result.exit_code == 0 and "Billing" in result.output, result.output
    result = await cli(stack, "domain", "list", "--tree")
    assert result.exit_code == 0 and "  Billing" in result.output, result.output
    result = await cli(stack, "-o", "json", "domain", "objects", "Billing")
    assert [o["object_ref"] for o in json.loads(result.output)] == [ORDERS]
    result = await cli(stack, "-o", "json", "domain", "show", "Finance")
    assert json.loads(result.output)["children"] == ["Billing"]
    result = await cli(stack, "domain", "move", "Finance", "--parent", "Billing")
    assert result.exit_code != 0 and "cycle" in result.output
    result = await cli(stack, "domain", "delete", "Billing")
    assert result.exit_code != 0 and "object" in result.output

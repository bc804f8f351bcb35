"""Data policies over REST against the real governance and catalog services: create on an object
and a column, list (per object, overdue), PATCH, delete, audit; every bad field named in a 400."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from api_testkit import Stack, cli

from devstack.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_pol"  # this module's source (the `shop` fixture scans it)

CUSTOMERS = f"{SHOP}.sales.customers"
ORDERS = f"{SHOP}.sales.orders"


async def test_policies_over_rest(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.post(
        f"/capsules/{CUSTOMERS}/policies",
        json={
            "sensitivity": "confidential",
            "retention_days": 365,
            "deletion_action": "archive",
            "allowed_regions": ["eu"],
            "residency": "EU",
            "allowed_roles": ["steward"],
            "denied_roles": ["viewer"],
            "purposes": ["analytics"],
            "masking_required": True,
            "compliance": ["gdpr"],
            "review_cycle_days": 90,
        },
    )
    assert resp.status_code == 201, resp.text
    obj = resp.json()
    assert (obj["object_ref"], obj["column"], obj["retention_start"]) == (
        CUSTOMERS,
        None,
        "created",
    )
    assert obj["allowed_regions"] == ["EU"] and obj["created_by"] == "bootstrap-admin"
    assert obj["next_review_date"] == (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    urn = obj["object_urn"]

    resp = await client.post(
        f"/capsules/{urn}/policies",
        json={"sensitivity": "restricted", "column": "email", "encryption_required": True},
    )
    assert resp.status_code == 201, resp.text
    col = resp.json()
    assert (col["column"], col["next_review_date"], col["overdue"]) == ("email", None, False)
    resp = await client.post(f"/capsules/{ORDERS}/policies", json={"sensitivity": "internal"})
    assert resp.status_code == 201, resp.text
    orders = resp.json()

    listed = (await client.get(f"/capsules/{CUSTOMERS}/policies")).json()["items"]
    assert [p["id"] for p in listed] == [obj["id"], col["id"]]
    # The capsules router's own routes still answer next to these.
    assert (await client.get(f"/capsules/{CUSTOMERS}/constraints")).status_code == 200
    mine = {obj["id"], col["id"], orders["id"]}  # the session stack has other modules' too

    async def policies(**params: str) -> list[int]:
        resp = await client.get("/policies", params={**params, "limit": "500"})
        return [p["id"] for p in resp.json()["items"] if p["id"] in mine]

    assert await policies(overdue="true") == []

    long_ago = (datetime.now(UTC).date() - timedelta(days=120)).isoformat()
    resp = await client.patch(
        f"/policies/{obj['id']}", json={"last_reviewed_on": long_ago, "residency": None}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["overdue"] and resp.json()["residency"] is None
    assert resp.json()["sensitivity"] == "confidential"
    assert await policies(overdue="true") == [obj["id"]]
    assert await policies() == [obj["id"], col["id"], orders["id"]]
    assert (await client.get(f"/policies/{col['id']}")).json()["column"] == "email"

    resp = await client.delete(f"/policies/{orders['id']}")
    assert resp.status_code == 204, resp.text
    assert (await client.get(f"/policies/{orders['id']}")).status_code == 404

    async def audited() -> list[dict[str, Any]] | None:
        resp = await client.get("/audit/events", params={"entity_type": "policy", "limit": 500})
        items = [e for e in resp.json()["items"] if e["entity_id"] in {str(i) for i in mine}]
        return items if len(items) >= 5 else None

    events = await eventually(audited)
    assert sorted(e["action"] for e in events) == [
        "policy.create",
        "policy.create",
        "policy.create",
        "policy.delete",
        "policy.update",
    ]
    update = next(e for e in events if e["action"] == "policy.update")
    assert "last_reviewed_on" in json.dumps(update) and "residency" in json.dumps(update)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needles"),
    [
        ("POST", f"/capsules/{CUSTOMERS}/policies",
         {"sensitivity": "x", "allowed_regions": ["EU"], "restricted_regions": ["eu"],
          "allowed_roles": ["admin"], "denied_roles": ["admin", "guest"]},
         400, ["sensitivity:", "restricted_regions:", "denied_roles:"]),
        ("POST", f"/capsules/{CUSTOMERS}/policies",
         {"sensitivity": "public", "deletion_action": "delete"}, 400, ["retention_days:"]),
        ("POST", f"/capsules/{CUSTOMERS}/policies", {"sensitivity": "public", "column": "zz"},
         404, ["zz"]),
        ("POST", f"/capsules/{CUSTOMERS}/policies", {"sensitivity": "public", "colour": "red"},
         400, ["colour"]),
        ("POST", f"/capsules/{CUSTOMERS}/policies", {}, 400, ["sensitivity"]),
        ("POST", f"/capsules/{SHOP}.sales.nope/policies", {"sensitivity": "public"}, 404, ["nope"]),
        ("GET", f"/capsules/{SHOP}.sales.nope/policies", None, 404, ["nope"]),
        ("GET", "/policies/99999", None, 404, ["99999"]),
        ("PATCH", "/policies/99999", {"purposes": []}, 404, ["99999"]),
        ("PATCH", "/policies/99999", {}, 400, ["at least one"]),
        ("PATCH", "/policies/99999", {"sensitivity": None}, 400, ["not null"]),
        ("DELETE", "/policies/99999", None, 404, ["99999"]),
    ],
)  # fmt: skip
async def test_bad_input(
    client: httpx.AsyncClient,
    shop: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    needles: list[str],
) -> None:
    resp = await client.request(method, path, json=body)
    assert resp.status_code == status, resp.text
    for needle in needles:
        assert needle in json.dumps(resp.json()), needle


async def test_policy_cli(stack: Stack, shop: dict[str, Any]) -> None:
    result = await cli(
        stack, "-o", "json", "policy", "create", ORDERS, "--column", "note",
        "--sensitivity", "confidential", "--retention-days", "30", "--allowed-region", "eu",
        "--allowed-region", "us", "--compliance", "pci_dss", "--review-days", "7",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert (created["column"], created["allowed_regions"]) == ("note", ["EU", "US"])
    result = await cli(stack, "policy", "show", str(created["id"]))
    assert result.exit_code == 0 and "pci_dss" in result.output, result.output
    result = await cli(stack, "-o", "json", "policy", "list", ORDERS)
    assert created["id"] in [p["id"] for p in json.loads(result.output)], result.output
    result = await cli(stack, "-o", "json", "policy", "list", "--overdue")
    assert created["id"] not in [p["id"] for p in json.loads(result.output)], result.output
    result = await cli(
        stack, "policy", "create", ORDERS, "--sensitivity", "public", "--denied-role", "boss"
    )
    assert result.exit_code != 0 and "denied_roles" in result.output, result.output

"""Masking rules over REST against the real governance and catalog services: create on a column
(by ref and by column URN), list, PATCH, delete, the SQL preview, audit; bad input named in a
400/404/409; reads for viewers, writes for stewards; and the `datacompass mask` commands."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from api_testkit import Secured, Stack, cli

from devstack.testing import eventually
from gateway_service.core.convert import split_column_ref
from gateway_service.core.errors import ApiError

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_mask"  # this module's source (the `shop` fixture scans it)

CUSTOMERS = f"{SHOP}.sales.customers"
ORDERS = f"{SHOP}.sales.orders"


async def test_split_column_ref() -> None:
    assert split_column_ref(f"{SHOP}.sales.customers.email") == (f"{SHOP}.sales.customers", "email")
    urn = f"urn:dcs:object:{SHOP}/sales/customers"
    assert split_column_ref(f"{urn}.email") == (urn, "email")
    for bad in ("email", ".email", f"{SHOP}.sales.customers."):
        with pytest.raises(ApiError) as err:
            split_column_ref(bad)
        assert err.value.status == 400


async def test_masking_rules_over_rest(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.post(
        f"/columns/{CUSTOMERS}.email/masking-rules",
        json={
            "method": "partial_redaction",
            "config": {"preserve_prefix": 1},
            "exempt_roles": ["steward"],
            "description": "emails stay private",
        },
    )
    assert resp.status_code == 201, resp.text
    email = resp.json()
    assert (email["object_ref"], email["column"], email["method"]) == (
        CUSTOMERS,
        "email",
        "partial_redaction",
    )
    assert email["config"]["preserve_prefix"] == 1 and email["config"]["preserve_domain"] is True
    assert email["exempt_roles"] == ["steward"] and email["created_by"] == "bootstrap-admin"
    # By column URN: the object URN and the column.
    resp = await client.post(
        f"/columns/{email['object_urn']}.name/masking-rules",
        json={"method": "hashing", "config": {"truncate": 12}, "preserve_null": False},
    )
    assert resp.status_code == 201, resp.text
    name = resp.json()
    assert (name["column"], name["preserve_null"], name["description"]) == ("name", False, None)
    resp = await client.post(f"/columns/{ORDERS}.note/masking-rules", json={"method": "redaction"})
    assert resp.status_code == 201, resp.text
    note = resp.json()

    column = (await client.get(f"/columns/{CUSTOMERS}.email/masking-rules")).json()["items"]
    assert [r["id"] for r in column] == [email["id"]]
    of_object = (await client.get("/masking-rules", params={"object": CUSTOMERS})).json()
    assert [r["id"] for r in of_object["items"]] == [email["id"], name["id"]]
    everything = (await client.get("/masking-rules")).json()["items"]
    assert {r["id"] for r in everything} >= {email["id"], name["id"], note["id"]}

    resp = await client.patch(
        f"/masking-rules/{email['id']}",
        json={"config": {"preserve_prefix": 2}, "exempt_roles": [], "description": None},
    )
    assert resp.status_code == 200, resp.text
    patched = resp.json()
    assert patched["config"]["preserve_prefix"] == 2 and patched["exempt_roles"] == []
    assert patched["description"] is None and patched["method"] == "partial_redaction"
    assert (await client.get(f"/masking-rules/{email['id']}")).json() == patched

    resp = await client.get(f"/capsules/{CUSTOMERS}/masking-sql")
    assert resp.status_code == 200, resp.text
    preview = resp.json()
    assert preview["dialect"] == "postgres" and preview["notes"] == []
    assert '"sales"."customers_masked"' in preview["sql"] and '"email"' in preview["sql"]
    resp = await client.get(f"/capsules/{CUSTOMERS}/masking-sql", params={"dialect": "databricks"})
    assert resp.status_code == 200 and "SET MASK" in resp.json()["sql"], resp.text
    # The capsules router's own routes still answer next to these.
    assert (await client.get(f"/capsules/{CUSTOMERS}/constraints")).status_code == 200

    resp = await client.delete(f"/masking-rules/{note['id']}")
    assert resp.status_code == 204, resp.text
    assert (await client.get(f"/masking-rules/{note['id']}")).status_code == 404

    mine = {str(rule["id"]) for rule in (email, name, note)}  # other modules' rules aside

    async def audited() -> list[dict[str, Any]] | None:
        resp = await client.get(
            "/audit/events", params={"entity_type": "masking_rule", "limit": 500}
        )
        items = [e for e in resp.json()["items"] if e["entity_id"] in mine]
        return items if len(items) >= 5 else None

    events = await eventually(audited)
    assert sorted(e["action"] for e in events) == [
        "masking_rule.create",
        "masking_rule.create",
        "masking_rule.create",
        "masking_rule.delete",
        "masking_rule.update",
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needles"),
    [
        ("POST", f"/columns/{CUSTOMERS}.zz/masking-rules", {"method": "redaction"}, 404, ["zz"]),
        ("POST", "/columns/customers/masking-rules", {"method": "redaction"}, 400, ["column:"]),
        ("POST", f"/columns/{CUSTOMERS}.id/masking-rules", {"method": "scramble"},
         400, ["masking_method:"]),
        ("POST", f"/columns/{CUSTOMERS}.id/masking-rules",
         {"method": "hashing", "config": {"truncate": "x"}}, 400, ["method_config.truncate:"]),
        ("POST", f"/columns/{CUSTOMERS}.id/masking-rules",
         {"method": "hashing", "exempt_roles": ["boss"]}, 400, ["exempt_roles:"]),
        ("POST", f"/columns/{CUSTOMERS}.id/masking-rules", {"method": "hashing", "colour": 1},
         400, ["colour"]),
        ("POST", f"/columns/{SHOP}.sales.nope.id/masking-rules", {"method": "hashing"},
         404, ["nope"]),
        ("POST", "/columns/nodot/masking-rules", {"method": "hashing"}, 400, ["column"]),
        ("GET", "/masking-rules", None, 200, []),
        ("GET", f"/masking-rules?object={SHOP}.sales.nope", None, 404, ["nope"]),
        ("GET", "/masking-rules/99999", None, 404, ["99999"]),
        ("PATCH", "/masking-rules/99999", {"enabled": False}, 404, ["99999"]),
        ("PATCH", "/masking-rules/99999", {}, 400, ["at least one"]),
        ("PATCH", "/masking-rules/99999", {"method": None}, 400, ["not null"]),
        ("DELETE", "/masking-rules/99999", None, 404, ["99999"]),
        ("GET", f"/capsules/{CUSTOMERS}/masking-sql?dialect=oracle", None, 400, ["dialect"]),
        ("GET", f"/capsules/{SHOP}.sales.nope/masking-sql", None, 404, ["nope"]),
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


async def test_second_enabled_rule_is_a_conflict(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    resp = await client.post(f"/columns/{ORDERS}.amount/masking-rules", json={"method": "hashing"})
    assert resp.status_code == 201, resp.text
    first = resp.json()
    resp = await client.post(
        f"/columns/{ORDERS}.amount/masking-rules", json={"method": "noise_addition"}
    )
    assert resp.status_code == 409, resp.text
    assert f"rule {first['id']}" in resp.json()["error"]["message"]


async def test_mask_cli(stack: Stack, shop: dict[str, Any]) -> None:
    result = await cli(
        stack, "-o", "json", "mask", "add", f"{ORDERS}.customer_id", "--method", "generalization",
        "--config", '{"bucket_width": 100}', "--exempt-role", "steward", "--exempt-role", "admin",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert (created["column"], created["config"]["bucket_width"]) == ("customer_id", 100)
    assert created["exempt_roles"] == ["steward", "admin"]
    rule_id = str(created["id"])

    result = await cli(stack, "mask", "show", rule_id)
    assert result.exit_code == 0 and "generalization" in result.output, result.output
    result = await cli(stack, "-o", "json", "mask", "list", ORDERS)
    assert created["id"] in [r["id"] for r in json.loads(result.output)], result.output
    result = await cli(stack, "mask", "list")
    assert result.exit_code == 0 and f"{ORDERS}.customer_id" in result.output, result.output

    result = await cli(
        stack, "-o", "json", "mask", "update", rule_id, "--disable", "--no-exempt-roles"
    )
    assert result.exit_code == 0, result.output
    updated = json.loads(result.output)
    assert (updated["enabled"], updated["exempt_roles"]) == (False, [])

    result = await cli(stack, "mask", "preview", ORDERS, "--dialect", "databricks")
    assert result.exit_code == 0, result.output
    assert "`customer_id`" not in result.output  # the rule is disabled: nothing to mask
    result = await cli(stack, "mask", "update", rule_id, "--enable")
    assert result.exit_code == 0, result.output
    result = await cli(stack, "-o", "json", "mask", "preview", ORDERS)
    assert result.exit_code == 0 and '"customer_id"' in json.loads(result.output)["sql"]

    result = await cli(stack, "mask", "remove", rule_id)
    assert result.exit_code == 0 and f"removed masking rule {rule_id}" in result.output
    result = await cli(stack, "mask", "show", rule_id)
    assert result.exit_code != 0 and "not found" in result.output, result.output

    result = await cli(stack, "mask", "add", f"{ORDERS}.note", "--method", "hashing",
                       "--config", "{oops")  # fmt: skip
    assert result.exit_code != 0 and "not JSON" in result.output, result.output
    result = await cli(
        stack, "mask", "add", f"{ORDERS}.note", "--method", "redaction", "--exempt-role", "boss"
    )
    assert result.exit_code != 0 and "exempt_roles" in result.output, result.output


async def test_reads_for_viewers_writes_for_stewards(secured: Secured) -> None:
    body = {"method": "redaction"}
    async with secured.client() as admin:
        resp = await admin.post("/sources", json={
            "name": "sec", "source_type": "postgres", "connection": secured.stack.connection()
        })  # fmt: skip
        assert resp.status_code == 201, resp.text
        resp = await admin.post("/sources/sec/scans", params={"wait": "true"})
        assert resp.status_code == 201, resp.text
    path = "/columns/sec.sales.customers.email/masking-rules"
    for role in ("viewer", "editor"):
        async with secured.as_role(role) as http:
            resp = await http.post(path, json=body)
            assert resp.status_code == 403, (role, resp.text)
            assert "steward" in resp.json()["error"]["message"]
            assert (await http.get(path)).status_code == 200
            assert (await http.get("/capsules/sec.sales.customers/masking-sql")).status_code == 200
    async with secured.as_role("steward") as http:
        resp = await http.post(path, json=body)
        assert resp.status_code == 201, resp.text
        rule_id = resp.json()["id"]
    async with secured.as_role("viewer") as http:
        assert (await http.get(f"/masking-rules/{rule_id}")).status_code == 200
        resp = await http.patch(f"/masking-rules/{rule_id}", json={"enabled": False})
        assert resp.status_code == 403, resp.text
        assert (await http.delete(f"/masking-rules/{rule_id}")).status_code == 403
    async with secured.as_role("steward") as http:
        assert (await http.delete(f"/masking-rules/{rule_id}")).status_code == 204

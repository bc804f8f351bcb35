"""A column's claims → quality rules in one call (through the real catalog and quality): each
claim gets the rule enforcing it, a second call finds them `existing`, the column meaning shows
the rule beside its claim, a refused rule leaves nothing behind, a column without claims is 400."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from api_testkit import Stack, cli, user_client

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_claims"  # this module's source (the `shop` fixture scans it)

ORDERS = f"{SHOP}.sales.orders"


def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


async def _rules(client: httpx.AsyncClient, column: str) -> list[dict[str, Any]]:
    got = ok(await client.get(f"/capsules/{ORDERS}/quality-rules", params={"column": column}))
    items: list[dict[str, Any]] = got["items"]
    return items


async def test_claims_become_rules_once(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    path = f"/capsules/{ORDERS}/columns/amount"
    ok(await client.patch(path, json={"min_value": 0, "max_value": 5000}))
    assert ok(await client.get(path))["enforced_by"] == {}

    made = ok(await client.post(f"{path}/claims/rules", json={"severity": "error"}))["items"]
    assert [(o["claim"], o["status"], o["rule"]["rule_type"]) for o in made] == [
        ("range", "created", "range_check")
    ]
    (rule,) = await _rules(client, "amount")
    assert rule["rule_config"]["min"] == 0 and rule["rule_config"]["max"] == 5000
    assert rule["severity"] == "error" and rule["id"] == made[0]["rule"]["id"]

    again = ok(await client.post(f"{path}/claims/rules"))["items"]
    assert [(o["status"], o["rule"]["id"]) for o in again] == [("existing", rule["id"])]
    assert len(await _rules(client, "amount")) == 1

    shown = ok(await client.get(path))
    assert shown["enforced_by"]["range"]["id"] == rule["id"]
    listed = ok(await client.get(f"/capsules/{ORDERS}/columns"))["items"]
    (amount,) = [c for c in listed if c["column"] == "amount"]
    assert amount["enforced_by"] == shown["enforced_by"]

    # A changed claim is no longer enforced by the old rule: the next call adds the new one.
    changed = ok(await client.patch(path, json={"max_value": 9000}))
    assert changed["enforced_by"] == {}
    made = ok(await client.post(f"{path}/claims/rules"))["items"]
    assert made[0]["status"] == "created" and made[0]["rule"]["id"] != rule["id"]


async def test_text_claims_and_all_or_nothing(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    path = f"/capsules/{ORDERS}/columns/note"
    claims = {"allowed_values": ["gift", "rush"], "format_pattern": "^[a-z]+$"}
    ok(await client.patch(path, json=claims))
    made = ok(await client.post(f"{path}/claims/rules"))["items"]
    assert [(o["claim"], o["rule"]["rule_type"]) for o in made] == [
        ("allowed_values", "value_in_set"),
        ("format_pattern", "pattern_match"),
    ]
    shown = ok(await client.get(path))["enforced_by"]
    assert set(shown) == {"allowed_values", "format_pattern"}

    # A range on a text column: quality refuses range_check, so nothing of this call stays.
    ok(await client.patch(path, json={"allowed_values": ["gift"], "min_value": 1}))
    before = await _rules(client, "note")
    resp = await client.post(f"{path}/claims/rules")
    assert resp.status_code == 400, resp.text
    assert "numeric" in resp.json()["error"]["message"]
    assert await _rules(client, "note") == before


async def test_bad_requests(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.post(f"/capsules/{ORDERS}/columns/customer_id/claims/rules")
    assert resp.status_code == 400, resp.text
    assert "claims nothing" in resp.json()["error"]["message"]
    resp = await client.post(f"/capsules/{ORDERS}/columns/nope/claims/rules")
    assert resp.status_code == 404, resp.text
    resp = await client.post(f"/capsules/{ORDERS}/columns/amount/claims/rules", json={"x": 1})
    assert resp.status_code == 400, resp.text
    async with user_client(client, "claims-viewer", "viewer") as viewer:
        resp = await viewer.post(f"/capsules/{ORDERS}/columns/amount/claims/rules")
        assert resp.status_code == 403, resp.text


async def test_the_cli(stack: Stack, client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    ok(await client.patch(f"/capsules/{ORDERS}/columns/id", json={"min_value": 1}))
    first = await cli(stack, "column", "rules", ORDERS, "id", "--severity", "error")
    assert first.exit_code == 0, first.output
    assert "range" in first.output and "created" in first.output
    again = await cli(stack, "--format", "json", "column", "rules", ORDERS, "id")
    assert again.exit_code == 0, again.output
    (outcome,) = json.loads(again.output)["items"]
    assert outcome["status"] == "existing" and outcome["rule"]["severity"] == "error"
    shown = await cli(stack, "column", "show", ORDERS, "id")
    assert f"range: rule {outcome['rule']['id']}" in shown.output
    bad = await cli(stack, "column", "rules", ORDERS, "customer_id")
    assert bad.exit_code != 0 and "claims nothing" in bad.output

"""Classification over REST and the CLI, against the real governance and catalog services:
manual classification, inherited effective level, rules (roadmap YAML import, create, patch,
delete, apply), and the 4xx a user gets for bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_testkit import Stack, cli

from devstack.testing import repo_root

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_cls"  # this module's source (the `shop` fixture scans it)

# The roadmap's example, verbatim (docs/examples/classification-rules.yaml).
ROADMAP_YAML = (repo_root() / "docs/examples/classification-rules.yaml").read_text()
CUSTOMERS = f"{SHOP}.sales.customers"


def _error(resp: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = resp.json()["error"]
    return body


async def test_manual_classification_and_inheritance(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    resp = await client.put(
        f"/classification/objects/{CUSTOMERS}/columns/email",
        json={"level": "confidential", "compliance": ["gdpr"]},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["source"] == "manual" and resp.json()["column"] == "email"

    got = (await client.get(f"/classification/objects/{CUSTOMERS}")).json()
    assert got["own"] is None
    assert (got["effective"]["level"], got["effective"]["source"]) == ("confidential", "inherited")
    columns = (await client.get(f"/classification/objects/{CUSTOMERS}/columns")).json()
    assert [(c["column"], c["level"]) for c in columns] == [("email", "confidential")]

    resp = await client.put(f"/classification/objects/{CUSTOMERS}", json={"level": "internal"})
    assert resp.status_code == 200, resp.text
    got = (await client.get(f"/classification/objects/{CUSTOMERS}")).json()
    assert got["effective"]["level"] == "internal" and got["own"]["source"] == "manual"

    mine = {"level": "confidential", "source": SHOP}  # other modules' sources aside
    page = (await client.get("/classification", params=mine)).json()
    assert [(c["object_ref"], c["column"]) for c in page["items"]] == [(CUSTOMERS, "email")]


async def test_roadmap_yaml_rules_apply_without_overriding_manual(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    resp = await client.put(
        f"/classification/objects/{CUSTOMERS}/columns/email", json={"level": "confidential"}
    )
    assert resp.status_code == 200, resp.text  # manual: rules leave it alone
    resp = await client.post(
        "/classification/rules/import",
        content=ROADMAP_YAML,
        headers={"Content-Type": "application/yaml"},
    )
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["items"]) == 5
    resp = await client.post(
        "/classification/rules",
        json={"name": "Notes", "column_name_pattern": "^note$", "level": "restricted",
              "priority": 3},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    rule = resp.json()

    resp = await client.post("/classification/rules/apply", json={"source": SHOP})
    assert resp.status_code == 200, resp.text
    result = resp.json()
    # orders.note by the new rule; customers.email is manual (set above).
    assert (result["classified"], result["skipped"], result["errors"]) == (1, 1, 0)
    orders = (await client.get(f"/classification/objects/{SHOP}.sales.orders")).json()
    assert orders["effective"]["level"] == "restricted"
    note = next(c for c in orders["columns"] if c["column"] == "note")
    assert note["rule_name"] == "Notes"
    customers = (await client.get(f"/classification/objects/{CUSTOMERS}/columns")).json()
    assert customers[0]["source"] == "manual"

    resp = await client.patch(f"/classification/rules/{rule['id']}", json={"enabled": False})
    assert resp.status_code == 200 and resp.json()["enabled"] is False
    assert (await client.delete(f"/classification/rules/{rule['id']}")).status_code == 204
    assert (await client.delete(f"/classification/rules/{rule['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needle"),
    [
        ("PUT", f"/classification/objects/{CUSTOMERS}", {"level": "huge"}, 400, "level"),
        ("PUT", f"/classification/objects/{SHOP}.sales.nope", {"level": "public"}, 404, "nope"),
        (
            "PUT", f"/classification/objects/{CUSTOMERS}/columns/zip", {"level": "public"},
            404, "zip",
        ),
        (
            "POST", "/classification/rules",
            {"name": "Bad", "column_name_pattern": "(a+", "level": "secret"}, 400, "`(a+`",
        ),
        (
            "POST", "/classification/rules",
            {"name": "Lookahead", "schema_pattern": "(?=x)", "level": "secret"}, 400, "(?=x)",
        ),
        ("PATCH", "/classification/rules/1", {"level": None}, 400, "at least one field"),
    ],
)  # fmt: skip
async def test_bad_input(
    client: httpx.AsyncClient,
    shop: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    needle: str,
) -> None:
    resp = await client.request(method, path, json=body)
    assert resp.status_code == status, resp.text
    assert needle in json.dumps(resp.json())


async def test_bad_yaml_is_a_400(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.post(
        "/classification/rules/import",
        content="rules:\n  - name: x\n    match: {column_name_pattern: '(x'}\n"
        "    apply: {level: public}\n",
        headers={"Content-Type": "application/yaml"},
    )
    assert resp.status_code == 400 and "`(x`" in _error(resp)["message"]


async def test_cli_classify_and_rules(stack: Stack, shop: dict[str, Any], tmp_path: Path) -> None:
    result = await cli(
        stack, "classify", f"{SHOP}.sales.orders.amount", "--level", "restricted",
        "--compliance", "sox", "pci_dss",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = await cli(stack, "-o", "json", "classify", "show", f"{SHOP}.sales.orders")
    assert result.exit_code == 0, result.output
    amount = next(c for c in json.loads(result.output)["columns"] if c["column"] == "amount")
    assert (amount["level"], amount["compliance"]) == ("restricted", ["pci_dss", "sox"])

    result = await cli(stack, "-o", "json", "classify", "list", "--level", "restricted")
    assert result.exit_code == 0, result.output
    assert (f"{SHOP}.sales.orders", "amount") in {
        (c["object_ref"], c["column"]) for c in json.loads(result.output)
    }

    config = tmp_path / "classification-rules.yaml"
    config.write_text(ROADMAP_YAML)
    result = await cli(
        stack, "-o", "json", "classify", "rules", "apply", "--config", str(config),
        "--source", SHOP,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["errors"] == 0

    # Rules are global on the session stack: this one matches no object of any test.
    result = await cli(
        stack, "classify", "rules", "create", "--name", "Big", "--object-pattern", "^big_cli$",
        "--level", "internal",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = await cli(stack, "-o", "json", "classify", "rules", "list")
    assert "Big" in {r["name"] for r in json.loads(result.output)}

    result = await cli(stack, "classify", CUSTOMERS, "--level", "ultra")
    assert result.exit_code == 1 and "level" in result.output and "secret" in result.output

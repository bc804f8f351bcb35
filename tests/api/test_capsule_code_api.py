"""Capsule as code over REST and the CLI against the real catalog and governance: viewers
read the YAML but cannot apply it, a bad file is a 400 naming its paths, a dry run writes
nothing, an apply is one change set in the audit trail, and the CLI round trip changes
nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from api_testkit import Stack, cli, user_client

from devstack.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_capsule_code"  # this module's source (the `shop` fixture scans it)
ORDERS = f"{SHOP}.sales.orders"
YAML = f"/capsules/{ORDERS}/yaml"


def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return (
        resp.json()
        if resp.headers.get("content-type", "").startswith("application/json")
        else resp.text
    )


async def test_apply_by_role_plan_audit_and_cli_round_trip(
    stack: Stack, client: httpx.AsyncClient, shop: dict[str, Any], tmp_path: Path
) -> None:
    exported = ok(await client.get(YAML))
    assert exported.startswith("data_capsule:\n")
    edited = exported.replace("description: ''", "description: Orders placed in the shop")
    assert edited != exported
    async with user_client(client, "vic", "viewer") as viewer:
        assert ok(await viewer.get(YAML)) == exported
        resp = await viewer.post(YAML, json={"content": edited})
        assert resp.status_code == 403, resp.text

    bad = edited + "  owner: {team: x}\n"
    resp = await client.post(YAML, json={"content": bad})
    assert resp.status_code == 400, resp.text
    assert "data_capsule.owner: unknown key" in resp.json()["error"]["message"]

    plan = ok(await client.post(YAML, json={"content": edited}, params={"dry_run": "true"}))
    assert plan["dry_run"] and plan["change_set_id"] is None
    assert [(c["path"], c["old"], c["new"]) for c in plan["changes"]] == [
        ("description", None, "Orders placed in the shop")
    ]
    assert ok(await client.get(YAML)) == exported  # nothing written

    done = ok(await client.post(YAML, json={"content": edited}))
    change_set = done["change_set_id"]
    assert change_set and done["version"]

    async def trail() -> list[Any] | None:
        got = ok(await client.get("/audit/events", params={"change_set": change_set}))
        actions = sorted(e["action"] for e in got["items"])
        return got["items"] if actions == ["capsule.apply", "object.update"] else None

    events = await eventually(trail)
    # The apply is a patch version of its own, listed over REST as a metadata change.
    versions = ok(await client.get(f"/capsules/{ORDERS}/versions"))["items"]
    newest = max(versions, key=lambda v: v["version_number"])
    assert (newest["version"], newest["change_type"]) == (done["version"], "metadata_change")
    assert {e["change_set_id"] for e in events} == {change_set}

    # The CLI: export to a file, apply it back (a dry run first): nothing to change.
    file = tmp_path / "orders.yml"
    result = await cli(stack, "capsule", "export", ORDERS, "--output", str(file))
    assert result.exit_code == 0, result.output
    assert file.read_text() == ok(await client.get(YAML))
    result = await cli(stack, "capsule", "apply", "-f", str(file), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "no changes" in result.output
    file.write_text(file.read_text() + "  colour: red\n")
    result = await cli(stack, "capsule", "apply", "-f", str(file))
    assert result.exit_code != 0
    assert "data_capsule.colour: unknown key" in result.output


RULES = """\
  quality_rules:
  - column: id
    rule: not_null
    severity: error
    blocking: true
  - column: amount
    rule: range_check
    severity: warning
    blocking: false
    max: 1000000
    min: 0
"""


async def test_quality_rules_in_the_file_are_checked_by_quality_and_one_change_set(
    stack: Stack, client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    rules_url = f"/capsules/{ORDERS}/quality-rules"
    exported = ok(await client.get(YAML))
    assert exported.endswith("  quality_rules: []\n")  # the quality service answers
    base = exported.removesuffix("  quality_rules: []\n")

    # A rule the quality service refuses (a range on a text column), and one only admins may
    # make (the caller is an editor): a 400 naming both, and nothing written anywhere.
    bad = base + RULES.replace("column: amount", "column: note")
    bad += "  - capsule_level: true\n    rule: custom_sql\n    sql: SELECT 1 WHERE false\n"
    async with user_client(client, "capsule-code-editor", "editor") as editor:
        resp = await editor.post(YAML, json={"content": bad})
    assert resp.status_code == 400, resp.text
    message = resp.json()["error"]["message"]
    assert "data_capsule.quality_rules[1]: " in message and "numeric" in message, message
    assert "data_capsule.quality_rules[2]: " in message and "admin" in message, message
    assert ok(await client.get(rules_url))["items"] == []
    assert ok(await client.get(YAML)) == exported

    plan = ok(await client.post(YAML, json={"content": base + RULES}, params={"dry_run": "true"}))
    assert sorted(c["path"] for c in plan["changes"]) == [
        "quality_rules.amount.range_check",
        "quality_rules.id.not_null",
    ]
    assert ok(await client.get(rules_url))["items"] == []  # a dry run writes nowhere

    done = ok(await client.post(YAML, json={"content": base + RULES}))
    change_set = done["change_set_id"]
    rules = ok(await client.get(rules_url))["items"]
    assert sorted((r["column"], r["rule_type"]) for r in rules) == [
        ("amount", "range_check"),
        ("id", "not_null"),
    ]

    async def trail() -> list[str] | None:
        got = ok(await client.get("/audit/events", params={"change_set": change_set}))
        actions = sorted(e["action"] for e in got["items"])
        return actions if len(actions) == 3 else None

    # The quality service's audit records name the catalog's change set.
    assert await eventually(trail) == [
        "capsule.apply",
        "quality_rule.create",
        "quality_rule.create",
    ]
    again = ok(await client.get(YAML))
    assert "    inclusive: true\n" in again  # the rules as the quality service stores them
    assert ok(await client.post(YAML, json={"content": again}))["changes"] == []
    assert ok(await client.post(YAML, json={"content": base + RULES}))["changes"] == []
    assert ok(await client.get(YAML)) == again

    # The section left empty removes them.
    ok(await client.post(YAML, json={"content": exported}))
    assert ok(await client.get(rules_url))["items"] == []

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

"""The semantic dimension over REST against the real catalog: the glossary workflow step by step
with each role's rights (viewers read, editors create and propose, stewards approve, send back,
deprecate, delete and import), cycles and bad input as clear 4xx with nothing written, term
links with the forced delete, column meaning, value domains and the capsule layer; all
audited. The steward's walk of the issue: create and approve a term, link it to a column, give
the column a unit and a range."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from api_testkit import Stack, admin, cli, user_client

from devstack.testing import eventually
from devstack.urls import with_database

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_glossary"  # this module's source (the `shop` fixture scans it)

ORDERS = f"{SHOP}.sales.orders"
ORDERS_URN = f"urn:dcs:postgres:table:{SHOP}.sales:orders"
CLV = "Customer Lifetime Value"


def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content else None


def refused(resp: httpx.Response, status: int, *words: str) -> str:
    assert resp.status_code == status, resp.text
    message: str = resp.json()["error"]["message"]
    for word in words:
        assert word in message, message
    return message


async def audited(client: httpx.AsyncClient, action: str, **filters: str) -> None:
    """Wait until governance holds an audit event `action` matching `filters`."""

    async def probe() -> list[Any] | None:
        resp = await client.get("/audit/events", params={"action": action, **filters})
        items: list[Any] = ok(resp)["items"]
        return items or None

    await eventually(probe)


async def glossary_rows(stack: Stack) -> list[int]:
    url = stack.services_database
    return [
        int(r[0])
        for r in await admin_fetch(
            url,
            "SELECT (SELECT count(*) FROM catalog.business_terms) UNION ALL "
            "SELECT (SELECT count(*) FROM catalog.business_term_history) UNION ALL "
            "SELECT (SELECT count(*) FROM catalog.term_links) UNION ALL "
            "SELECT (SELECT count(*) FROM catalog.column_semantics) UNION ALL "
            "SELECT (SELECT count(*) FROM catalog.value_domains)",
        )
    ]


async def admin_fetch(url: str, sql: str) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def test_workflow_by_role(
    stack: Stack, client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    async with (
        user_client(client, "vera", "viewer") as viewer,
        user_client(client, "eddie", "editor") as editor,
        user_client(client, "stella", "steward") as steward,
    ):
        body = {
            "name": CLV,
            "definition": "Expected net revenue from a customer over the whole relationship",
            "abbreviation": "CLV",
            "synonyms": ["LTV"],
            "category": "financial",
            "comment": "first cut",
        }
        refused(await viewer.post("/business-terms", json=body), 403, "editor")
        term = ok(await editor.post("/business-terms", json=body), 201)
        assert term["status"] == "draft" and term["created_by"] == "eddie"
        assert term["history"][0] == {
            "from_status": None,
            "to_status": "draft",
            "actor": "eddie",
            "comment": "first cut",
            "changed_at": term["history"][0]["changed_at"],
        }
        path = f"/business-terms/{CLV}"
        # Editors propose; only stewards (and admins) approve, send back or deprecate.
        refused(await editor.post(f"{path}/approve", json={}), 403, "steward")
        refused(await steward.post(f"{path}/approve"), 400, "draft to approved")
        proposed = ok(await editor.post(f"{path}/propose", json={"comment": "ready"}))
        assert proposed["status"] == "under_review"
        back = ok(await steward.post(f"{path}/reject", json={"comment": "add an example"}))
        assert back["status"] == "draft"
        ok(
            await editor.patch(path, json={"examples": ["1200 USD"], "steward": "stella"}),
        )
        ok(await editor.post(f"{path}/propose"))
        approved = ok(await steward.post(f"{path}/approve", json={"comment": "good"}))
        assert approved["status"] == "approved" and approved["examples"] == ["1200 USD"]
        assert [(h["to_status"], h["actor"]) for h in approved["history"]] == [
            ("draft", "eddie"),
            ("under_review", "eddie"),
            ("draft", "stella"),
            ("under_review", "eddie"),
            ("approved", "stella"),
        ]
        by_id = ok(await viewer.get(f"/business-terms/{term['id']}"))
        assert by_id["name"] == CLV and by_id["status"] == "approved"
        found = ok(await viewer.get("/business-terms", params={"q": "lifetime"}))
        assert [t["name"] for t in found["items"]] == [CLV]
        assert ok(await viewer.get("/business-terms", params={"q": "ltv"}))["items"]

        # Imports may approve terms: stewards only.
        yaml_text = "terms:\n  - name: Margin\n    definition: Revenue minus cost\n"
        refused(
            await editor.post(
                "/business-terms/import", json={"format": "yaml", "content": yaml_text}
            ),
            403,
        )
        done = ok(
            await steward.post(
                "/business-terms/import", json={"format": "yaml", "content": yaml_text}
            )
        )
        assert done["created"] == ["Margin"]
        exported = ok(await viewer.get("/business-terms/export", params={"format": "csv"}))
        assert exported["content"].startswith("name,definition")
        assert CLV in exported["content"] and "\nMargin," in exported["content"]

        refused(await editor.delete("/business-terms/Margin"), 403, "steward")
        assert ok(await steward.delete("/business-terms/Margin")) == {"links_deleted": 0}
        ok(await steward.post(f"{path}/deprecate", json={"comment": "replaced"}))

    await audited(client, "business_term.status", entity_type="business_term", user="stella")


async def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    stack: Stack, client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    ok(await client.post("/business-terms", json={"name": "Amount", "definition": "A sum"}), 201)
    before = await glossary_rows(stack)
    refused(
        await client.post("/business-terms", json={"name": "amount", "definition": "again"}),
        409,
        "already exists",
    )
    refused(
        await client.post(
            "/business-terms",
            json={
                "name": "X",
                "definition": "x",
                "related": [{"relation": "is_a", "term": "Nope"}],
            },
        ),
        400,
        "Nope",
    )
    refused(
        await client.post(
            "/business-terms",
            json={
                "name": "X",
                "definition": "x",
                "related": [{"relation": "kind_of", "term": "A"}],
            },
        ),
        400,
    )
    refused(
        await client.patch(
            "/business-terms/Amount", json={"related": [{"relation": "is_a", "term": "Amount"}]}
        ),
        400,
        "itself",
    )
    refused(await client.patch("/business-terms/Amount", json={}), 400)
    refused(await client.get("/business-terms/Nope"), 404)
    half_bad = (
        "terms:\n  - name: Fine\n    definition: ok\n"
        "  - name: Broken\n    definition: bad\n    related:\n      is_a: [Missing]\n"
    )
    refused(
        await client.post("/business-terms/import", json={"format": "yaml", "content": half_bad}),
        400,
        "Missing",
        "nothing was written",
    )
    refused(
        await client.patch(
            f"/capsules/{ORDERS}/columns/amount", json={"format_pattern": r"(\d)\1"}
        ),
        400,
        "format_pattern",
    )
    refused(
        await client.patch(f"/capsules/{ORDERS}/columns/amount", json={"value_domain": "nope"}),
        400,
        "nope",
    )
    refused(
        await client.patch(f"/capsules/{ORDERS}/columns/zz", json={"unit_of_measure": "x"}), 404
    )
    refused(
        await client.post(f"/capsules/{ORDERS}/business-terms/Nope", json={"link_type": "uses"}),
        404,
    )
    refused(
        await client.post(
            "/value-domains",
            json={"name": "v", "domain_type": "range", "min_value": 5, "max_value": 1},
        ),
        400,
    )
    refused(await client.post("/value-domains", json={"name": "v", "domain_type": "enum"}), 400)
    assert await glossary_rows(stack) == before

    # A cycle through three terms: Amount is_a C, C is_a B, B is_a Amount.
    for name, parent in (("B", "Amount"), ("C", "B")):
        ok(
            await client.post(
                "/business-terms",
                json={
                    "name": name,
                    "definition": f"{name} things",
                    "related": [{"relation": "is_a", "term": parent}],
                },
            ),
            201,
        )
    before = await glossary_rows(stack)
    refused(
        await client.patch(
            "/business-terms/Amount", json={"related": [{"relation": "is_a", "term": "C"}]}
        ),
        400,
        "cycle in is_a",
    )
    assert await glossary_rows(stack) == before


async def test_steward_walk_links_meaning_and_domains(
    stack: Stack, client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    ok(
        await client.post("/business-terms", json={"name": "Order Total", "definition": "Paid"}),
        201,
    )
    ok(await client.post("/business-terms/Order Total/propose"))
    ok(await client.post("/business-terms/Order Total/approve"))
    link = ok(
        await client.post(
            f"/capsules/{ORDERS_URN}/business-terms/Order Total",
            json={"link_type": "defines", "column": "amount"},
        ),
        201,
    )
    assert link["column_urn"] == f"{ORDERS_URN}.amount" and link["link_type"] == "defines"
    on_capsule = ok(await client.get(f"/capsules/{ORDERS}/business-terms"))
    assert [(x["term_name"], x["column"]) for x in on_capsule["items"]] == [
        ("Order Total", "amount")
    ]
    refused(
        await client.delete("/business-terms/Order Total"),
        409,
        f"{SHOP}.sales.orders.amount",
        "force",
    )
    assert ok(await client.get("/business-terms/Order Total"))["link_count"] == 1

    ok(
        await client.post(
            "/value-domains",
            json={"name": "currency_amount", "domain_type": "range", "min_value": 0},
        ),
        201,
    )
    described = ok(
        await client.patch(
            f"/capsules/{ORDERS_URN}/columns/amount",
            json={
                "business_definition": "Total order value including tax",
                "unit_of_measure": "USD",
                "value_domain": "currency_amount",
                "max_value": 100000,
            },
        )
    )
    assert described["source_comment"] == "Order total"
    assert described["effective"] == {
        "min_value": 0,
        "max_value": 100000,
        "allowed_values": [],
        "format_pattern": None,
        "inherited": ["min_value"],
    }
    # A rescan refreshes the source comment and keeps the definition.
    await admin(
        with_database(stack.database_url, stack.source_database),
        "COMMENT ON COLUMN sales.orders.amount IS 'Order total, gross'",
    )
    ok(await client.post(f"/sources/{SHOP}/scans", params={"wait": "true"}), 201)
    columns = ok(await client.get(f"/capsules/{ORDERS}/columns"))["items"]
    (amount,) = [c for c in columns if c["column"] == "amount"]
    assert amount["source_comment"] == "Order total, gross"
    assert amount["business_definition"] == "Total order value including tax"
    cleared = ok(await client.patch(f"/capsules/{ORDERS}/columns/amount", json={"max_value": None}))
    assert cleared["effective"]["max_value"] is None

    domains = ok(await client.get("/value-domains"))["items"]
    assert [d["column_count"] for d in domains if d["name"] == "currency_amount"] == [1]
    refused(await client.delete("/value-domains/currency_amount"), 409, "amount")

    # PATCH: only the fields sent change; the result must be a valid domain; nothing half-written.
    changed = ok(
        await client.patch(
            "/value-domains/currency_amount", json={"max_value": 50000, "description": "Money"}
        )
    )
    assert (changed["min_value"], changed["max_value"]) == (0, 50000)
    assert changed["description"] == "Money"
    (amount,) = [
        c
        for c in ok(await client.get(f"/capsules/{ORDERS}/columns"))["items"]
        if c["column"] == "amount"
    ]
    assert amount["effective"]["max_value"] == 50000 and amount["effective"]["inherited"] == [
        "min_value",
        "max_value",
    ]
    refused(
        await client.patch("/value-domains/currency_amount", json={"min_value": 10**6}),
        400,
        "currency_amount",
    )
    refused(
        await client.patch("/value-domains/currency_amount", json={"pattern": "x"}),
        400,
        "range domain takes no pattern",
    )
    refused(await client.patch("/value-domains/currency_amount", json={}), 400, "at least one")
    refused(await client.patch("/value-domains/currency_amount", json={"name": None}), 400)
    refused(await client.patch("/value-domains/nope", json={"description": "x"}), 404, "nope")
    unchanged = ok(await client.get("/value-domains/currency_amount"))
    assert (unchanged["min_value"], unchanged["max_value"]) == (0, 50000)
    await audited(client, "value_domain.update")

    obj = ok(await client.patch(f"/objects/{ORDERS}", json={"layer": "gold"}))
    assert obj["layer"] == "gold"
    refused(await client.patch(f"/objects/{ORDERS}", json={"layer": "diamond"}), 400, "bronze")

    gone = ok(await client.delete("/business-terms/Order Total", params={"force": "true"}))
    assert gone == {"links_deleted": 1}
    assert ok(await client.get(f"/capsules/{ORDERS}/business-terms"))["items"] == []

    await audited(client, "column.describe", entity=f"{ORDERS_URN}.amount")
    await audited(client, "term_link.create", entity=ORDERS_URN)


async def test_cli_glossary_column_and_domain_values(
    stack: Stack, client: httpx.AsyncClient, shop: dict[str, Any], tmp_path: Path
) -> None:
    async def run(*args: str) -> Any:
        result = await cli(stack, *args)
        assert result.exit_code == 0, result.output
        return result

    async def as_json(*args: str) -> Any:
        return json.loads((await run("--format", "json", *args)).stdout)

    term = await as_json(
        "glossary", "add", "Shipping Fee", "-d", "What the carrier charges", "--synonym", "freight"
    )
    assert term["status"] == "draft" and term["synonyms"] == ["freight"]
    await run("glossary", "propose", "Shipping Fee", "-m", "ready")
    approved = await as_json("glossary", "approve", "Shipping Fee", "-m", "ok")
    assert approved["status"] == "approved"
    shown = await run("glossary", "show", "Shipping Fee")
    assert "under_review → approved" in shown.stdout
    listed = await as_json("glossary", "list", "freight")
    assert [t["name"] for t in listed] == ["Shipping Fee"]

    linked = await as_json(
        "glossary", "link", "Shipping Fee", ORDERS, "--column", "note", "--type", "uses"
    )
    assert linked["column"] == "note" and linked["link_type"] == "uses"
    links = await as_json("glossary", "links", "--capsule", ORDERS)
    assert [(x["term_name"], x["column"]) for x in links] == [("Shipping Fee", "note")]

    added = await as_json(
        "domain-values", "add", "priority", "--type", "enum", "--value", "hi=High", "--value", "lo"
    )
    assert [v["label"] for v in added["values"]] == ["High", ""]
    assert "priority" in [d["name"] for d in await as_json("domain-values", "list")]
    described = await as_json(
        "column", "describe", ORDERS, "note", "--definition", "Free text", "--domain", "priority"
    )
    assert described["effective"]["allowed_values"] == ["hi", "lo"]
    # Changing the domain changes what the column inherits.
    updated = await as_json(
        "domain-values", "update", "priority", "--value", "hi=High", "--value", "mid", "--value",
        "lo=Low", "--description", "Urgency",
    )  # fmt: skip
    assert [v["code"] for v in updated["values"]] == ["hi", "mid", "lo"]
    assert updated["description"] == "Urgency" and updated["column_count"] == 1
    column = ok(await client.get(f"/capsules/{ORDERS}/columns/note"))
    assert column["effective"]["allowed_values"] == ["hi", "mid", "lo"]
    bad = await cli(stack, "domain-values", "update", "priority", "--min", "1")
    assert bad.exit_code == 1 and "enum domain takes no min_value" in bad.stderr
    bad = await cli(stack, "domain-values", "update", "priority")
    assert bad.exit_code != 0 and "at least one field" in bad.output
    table = await run("column", "show", ORDERS)
    assert "Free text" in table.stdout and "priority" in table.stdout
    bad = await cli(stack, "column", "describe", ORDERS, "note", "--pattern", "(?=x)")
    assert bad.exit_code == 1 and "format_pattern" in bad.stderr

    out = tmp_path / "glossary.yml"
    await run("glossary", "export", "--output", str(out))
    assert "Shipping Fee" in out.read_text()
    as_api = await as_json("glossary", "export", "--as", "csv")
    assert as_api["format"] == "csv" and "Shipping Fee" in as_api["content"]
    dry = await as_json("glossary", "import", str(out), "--dry-run")
    assert dry["created"] == [] and dry["updated"] == [] and "Shipping Fee" in dry["unchanged"]
    edited = await as_json("catalog", "edit", ORDERS, "--layer", "silver")
    assert edited["layer"] == "silver"
    assert "silver" in (await run("catalog", "show", ORDERS)).stdout
    bad = await cli(stack, "catalog", "edit", ORDERS, "--layer", "platinum")
    assert bad.exit_code == 1 and "bronze, silver, gold" in bad.stderr

    await run("glossary", "unlink", "Shipping Fee", ORDERS, "--column", "note")
    assert await as_json("glossary", "links", "--capsule", ORDERS) == []

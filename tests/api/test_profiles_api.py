"""Column profiles over REST and the CLI: 404 before the first profile, a column profiled by ref
and read by URN, history, an object profile polled to the end, sampling, rule suggestions
accepted into rules, and `datacompass quality profile / rules suggest`."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_testkit import Stack, add_source, cli, table_source, unique

pytestmark = pytest.mark.asyncio(loop_scope="session")

SOURCE = "qpsrc"
STATUSES = ["new", "paid", "shipped"]
ROWS: list[dict[str, Any]] = [
    {
        "id": i,
        "sku": f"SKU-{i:04d}",
        "status": STATUSES[0] if i % 4 == 0 else STATUSES[1 + i % 2],
        "price": None if i % 6 == 0 else i * 2.5,
    }
    for i in range(1, 31)
]
COLUMNS = ["id", "sku", "status", "price"]
SETUP_SQL = (
    "CREATE TABLE public.items (id bigint PRIMARY KEY, sku text NOT NULL, status text NOT NULL,"
    " price numeric(10, 2));"
    "INSERT INTO public.items (id, sku, status, price) VALUES "
    + ", ".join(
        f"({r['id']}, '{r['sku']}', '{r['status']}', "
        f"{'NULL' if r['price'] is None else r['price']})"
        for r in ROWS
    )
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def items_database(stack: Stack, client: httpx.AsyncClient) -> AsyncIterator[str]:
    async with table_source(stack, client, SOURCE, SETUP_SQL) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def items(client: httpx.AsyncClient, items_database: str) -> str:
    """`public.items` of a source of the test's own (profiles and rules are per object)."""
    source = unique(SOURCE)
    await add_source(client, source, items_database)
    return f"{source}.public.items"


def _check_status_profile(profile: dict[str, Any], ref: str) -> None:
    """The `status` column's statistics against the rows themselves."""
    counts = Counter(r["status"] for r in ROWS)
    stats = profile["stats"]
    assert profile["column"] == "status" and profile["object_ref"] == ref
    assert (stats["total_count"], stats["null_count"], stats["distinct_count"]) == (
        len(ROWS),
        0,
        len(counts),
    )
    mcv = {v["value"]: v["count"] for v in stats["most_common_values"]}
    assert mcv == dict(counts)
    top = stats["most_common_values"][0]
    assert top["value"] == counts.most_common(1)[0][0]
    assert top["percentage"] == pytest.approx(counts[top["value"]] / len(ROWS) * 100, abs=0.01)


def _check_price_profile(profile: dict[str, Any]) -> None:
    prices = [r["price"] for r in ROWS if r["price"] is not None]
    stats = profile["stats"]
    assert stats["null_count"] == len(ROWS) - len(prices)
    assert stats["min_value"] == pytest.approx(min(prices))
    assert stats["max_value"] == pytest.approx(max(prices))
    assert stats["mean_value"] == pytest.approx(sum(prices) / len(prices))


async def _finished(client: httpx.AsyncClient, run: dict[str, Any]) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while run["status"] == "running":
            await asyncio.sleep(0.2)
            resp = await client.get(f"/profile-runs/{run['id']}")
            assert resp.status_code == 200, resp.text
            run = resp.json()
            assert 0 <= run["steps_done"] <= run["steps_total"]
    return run


async def test_column_profile_404_before_then_by_ref_urn_and_history(
    client: httpx.AsyncClient, items: str
) -> None:
    assert (await client.get(f"/columns/{items}.status/profile")).status_code == 404
    assert (await client.get(f"/capsules/{items}/profile")).status_code == 404
    history = await client.get(f"/columns/{items}.status/profile/history")
    assert history.status_code == 404 and "not been profiled" in history.json()["error"]["message"]
    suggestions = await client.get(f"/capsules/{items}/quality-rules/suggestions")
    assert suggestions.status_code == 404, suggestions.text
    resp = await client.get("/columns/nodot/profile")
    assert resp.status_code == 400 and resp.json()["error"]["message"].startswith("column")

    resp = await client.post(f"/columns/{items}.status/profile", json={})
    assert resp.status_code == 201, resp.text
    run = resp.json()
    assert run["status"] == "succeeded" and run["object_ref"] == items
    assert run["steps_done"] == run["steps_total"] > 0 and run["row_count"] == len(ROWS)
    assert not run["sampled"] and [c["column"] for c in run["columns"]] == ["status"]
    _check_status_profile(run["columns"][0], items)

    # The column URN is the object URN plus the column.
    urn = (await client.get(f"/objects/{items}")).json()["urn"]
    by_urn = await client.get(f"/columns/{urn}.status/profile")
    assert by_urn.status_code == 200, by_urn.text
    assert by_urn.json() == run["columns"][0]
    _check_status_profile(by_urn.json(), items)

    again = await client.post(f"/columns/{urn}.status/profile", json={"wait": True})
    assert again.status_code == 201, again.text
    history = (await client.get(f"/columns/{items}.status/profile/history")).json()["items"]
    assert [p["profile_run_id"] for p in history] == [again.json()["id"], run["id"]]
    limited = await client.get(f"/columns/{items}.status/profile/history", params={"limit": 1})
    assert [p["profile_run_id"] for p in limited.json()["items"]] == [again.json()["id"]]


async def test_object_profile_polled_and_sampled(client: httpx.AsyncClient, items: str) -> None:
    resp = await client.post(f"/capsules/{items}/profile", json={"wait": False})
    assert resp.status_code == 202, resp.text
    run = await _finished(client, resp.json())
    assert run["status"] == "succeeded", run
    assert run["steps_done"] == run["steps_total"] > 0
    latest = (await client.get(f"/capsules/{items}/profile")).json()
    assert latest["id"] == run["id"] and latest["row_count"] == len(ROWS)
    by_column = {c["column"]: c for c in latest["columns"]}
    assert sorted(by_column) == sorted(COLUMNS)
    _check_status_profile(by_column["status"], items)
    _check_price_profile(by_column["price"])
    assert by_column["id"]["stats"]["distinct_count"] == len(ROWS)

    # Some columns only, about 10 sampled rows.
    resp = await client.post(
        f"/capsules/{items}/profile", json={"columns": ["price"], "sample_rows": 10}
    )
    assert resp.status_code == 201, resp.text
    sampled = resp.json()
    assert sampled["sampled"] and [c["column"] for c in sampled["columns"]] == ["price"]
    assert sampled["sample_percentage"] == pytest.approx(10 / len(ROWS) * 100, abs=0.01)
    resp = await client.post(f"/capsules/{items}/profile", json={"sample_rows": 0})
    assert resp.status_code == 400 and "sample_rows" in resp.json()["error"]["message"]
    resp = await client.post(f"/capsules/{SOURCE}.public.nothing/profile", json={})
    assert resp.status_code == 404, resp.text
    assert (await client.get("/profile-runs/987654321")).status_code == 404


async def test_suggestions_accepted_into_rules(client: httpx.AsyncClient, items: str) -> None:
    # Suggestions come from the latest profile: a full one of every column.
    assert (await client.post(f"/capsules/{items}/profile", json={})).status_code == 201
    resp = await client.get(f"/capsules/{items}/quality-rules/suggestions")
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["profile_run_id"]
    suggestions = {s["key"]: s for s in got["items"]}
    # What the rows guarantee: ids are present and distinct, statuses come from a small set.
    assert {"id:not_null", "id:unique", "status:not_null", "status:value_in_set"} <= set(
        suggestions
    )
    in_set = suggestions["status:value_in_set"]
    assert sorted(in_set["rule_config"]["allowed_values"]) == sorted(STATUSES)
    assert not any(s["exists"] for s in suggestions.values())

    picked = ["status:value_in_set", "id:not_null"]
    resp = await client.post(
        f"/capsules/{items}/quality-rules/suggestions/accept", json={"keys": picked}
    )
    assert resp.status_code == 200, resp.text
    accepted = resp.json()
    assert accepted["skipped"] == []
    made = {f"{r['column']}:{r['rule_type']}": r for r in accepted["created"]}
    assert sorted(made) == sorted(picked)
    config = made["status:value_in_set"]["rule_config"]
    assert {k: config[k] for k in in_set["rule_config"]} == in_set["rule_config"]
    assert made["status:value_in_set"]["severity"] == in_set["severity"]

    again = (await client.get(f"/capsules/{items}/quality-rules/suggestions")).json()["items"]
    assert {s["key"] for s in again if s["exists"]} == set(picked)
    resp = await client.post(
        f"/capsules/{items}/quality-rules/suggestions/accept", json={"keys": ["id:not_null"]}
    )
    assert resp.json() == {"created": [], "skipped": ["id:not_null"]}

    # No keys: every suggestion not yet a rule.
    resp = await client.post(f"/capsules/{items}/quality-rules/suggestions/accept")
    assert resp.status_code == 200, resp.text
    rest = {f"{r['column']}:{r['rule_type']}" for r in resp.json()["created"]}
    assert rest == set(suggestions) - set(picked)
    rules = (await client.get(f"/capsules/{items}/quality-rules")).json()["items"]
    assert {f"{r['column']}:{r['rule_type']}" for r in rules} == set(suggestions)
    # The accepted rules hold on the data they were suggested from.
    run = await client.post("/quality-checks", json={"capsule": items})
    assert run.status_code == 201, run.text
    assert run.json()["status"] == "passed", run.json()
    for rule in rules:
        assert (await client.delete(f"/quality-rules/{rule['id']}")).status_code == 204


async def test_cli_profile_and_suggest(stack: Stack, client: httpx.AsyncClient, items: str) -> None:
    result = await cli(stack, "quality", "profile", f"{items}.status", "--format", "json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["status"] == "succeeded" and [c["column"] for c in run["columns"]] == ["status"]
    _check_status_profile(run["columns"][0], items)

    result = await cli(stack, "quality", "profile", items, "--sample-rows", "10", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sampled"] is True
    # The last, full profile is the one suggestions come from.
    result = await cli(stack, "quality", "profile", items, "--poll-interval", "0.05")
    assert result.exit_code == 0, result.output
    for column in COLUMNS:
        assert f"{column} (" in result.stdout
    assert "MOST COMMON" in result.stdout and "PATTERN" in result.stdout
    assert "shipped" in result.stdout

    result = await cli(stack, "quality", "profile", f"{SOURCE}.public.nothing.col")
    assert result.exit_code == 1 and "nothing" in result.stderr

    result = await cli(stack, "quality", "rules", "suggest", items, "--format", "json")
    assert result.exit_code == 0, result.output
    keys = {s["key"] for s in json.loads(result.stdout)["items"]}
    assert "status:value_in_set" in keys
    result = await cli(
        stack, "quality", "rules", "suggest", items, "--accept", "status:value_in_set"
    )
    assert result.exit_code == 0, result.output
    assert "value_in_set" in result.stdout
    result = await cli(stack, "quality", "rules", "suggest", items, "--accept-all", "-o", "json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)["created"]
    assert {f"{r['column']}:{r['rule_type']}" for r in created} == keys - {"status:value_in_set"}
    result = await cli(stack, "quality", "rules", "suggest", items, "--accept", "id:unique")
    assert result.exit_code == 0 and "id:unique" in result.stderr  # skipped: already a rule

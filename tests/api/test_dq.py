"""Data quality over REST: configs, expectations, a backfill with wait, results, summary,
breach lifecycle, and the 4xx a user gets for bad input (nothing half-written)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_testkit import Secured, Stack, add_source, cli, table_source, unique, visits_sql

pytestmark = pytest.mark.asyncio(loop_scope="session")

DAYS = 14
SPIKE = 10


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def visits_database(stack: Stack, client: httpx.AsyncClient) -> AsyncIterator[str]:
    async with table_source(stack, client, "dqsrc", visits_sql(DAYS, SPIKE)) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def metrics_source(client: httpx.AsyncClient, visits_database: str) -> str:
    """`public.visits` of a source of the test's own (a DQ config is per object)."""
    source = unique("dqsrc")
    await add_source(client, source, visits_database)
    return f"{source}.public.visits"


def _error(resp: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = resp.json()["error"]
    return body


async def _configure(
    client: httpx.AsyncClient, metrics_source: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A daily config on `at`, an anomaly row count (high) and an absolute null count of `page`;
    returns the config and the row count expectation."""
    resp = await client.post(
        "/dq/configs", json={"object_ref": metrics_source, "date_column": "at"}
    )
    assert resp.status_code == 201, resp.text
    config = resp.json()
    assert config["grain"] == "daily" and config["timezone"] == "UTC"
    resp = await client.post(
        "/dq/expectations",
        json={
            "config_id": config["id"],
            "metric_type": "row_count",
            "threshold": {"strategy": "anomaly", "min_history": 5},
            "priority": "high",
        },
    )
    assert resp.status_code == 201, resp.text
    rows = resp.json()
    resp = await client.post(
        "/dq/expectations",
        json={
            "config_id": config["id"],
            "metric_type": "null_count",
            "column": "page",
            "threshold": {"strategy": "absolute", "max": 10},
        },
    )
    assert resp.status_code == 201, resp.text
    return config, rows


async def test_backfill_finds_the_spike_and_breach_can_be_acknowledged(
    client: httpx.AsyncClient, metrics_source: str
) -> None:
    config, rows = await _configure(client, metrics_source)
    run = await client.post(
        "/dq/runs",
        params={"wait": "true"},
        json={"object_ref": metrics_source, "days": DAYS, "parallelism": 3},
    )
    assert run.status_code == 201, run.text
    body = run.json()
    assert body["status"] == "succeeded" and body["buckets_done"] == body["buckets_total"] == DAYS
    assert len(body["buckets"]) == DAYS
    # The spike breaks the row count and the null count (3 NULLs a day, 30 that day).
    assert body["breaches_opened"] == 2
    results = await client.get(f"/dq/expectations/{rows['id']}/results", params={"days": 60})
    assert results.status_code == 200
    spike_day = (datetime.now(UTC).date() - timedelta(days=DAYS - SPIKE)).isoformat()
    by_day = {r["bucket"]: r for r in results.json()}
    assert by_day[spike_day]["value"] == 300 and by_day[spike_day]["is_breach"]
    assert by_day[spike_day]["threshold_high"] < 300
    breaches = await client.get(
        "/dq/breaches",
        params={"status": "open", "priority": "high", "object_ref": metrics_source},
    )
    assert breaches.status_code == 200
    (breach,) = breaches.json()["items"]
    assert breach["bucket"] == spike_day and breach["metric_type"] == "row_count"
    patched = await client.patch(
        f"/dq/breaches/{breach['id']}", json={"status": "acknowledged", "reason": "campaign"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "acknowledged"
    assert patched.json()["status_changed_by"] == "bootstrap-admin"
    bad = await client.patch(f"/dq/breaches/{breach['id']}", json={"status": "dismissed"})
    assert bad.status_code == 400 and "reason" in _error(bad)["message"]
    summary = await client.get(f"/dq/configs/{config['id']}/summary")
    assert summary.status_code == 200
    assert summary.json()["open_breaches"] == 2
    assert summary.json()["last_run"]["id"] == body["id"]
    runs = await client.get("/dq/runs", params={"object_ref": metrics_source})
    assert [r["id"] for r in runs.json()["items"]] == [body["id"]]


async def test_value_metrics_of_a_masked_column_are_withheld_from_viewers(
    client: httpx.AsyncClient, secured: Secured, metrics_source: str
) -> None:
    """The max of a masked column is one of its values: a viewer sees neither it nor the
    thresholds learnt from it, in results, summaries and breaches; counts stay visible."""
    resp = await client.post(f"/columns/{metrics_source}.ms/masking-rules", json={
        "method": "redaction", "exempt_roles": ["steward"]})  # fmt: skip
    assert resp.status_code == 201, resp.text
    config = (
        await client.post("/dq/configs", json={"object_ref": metrics_source, "date_column": "at"})
    ).json()
    made = {
        metric: (
            await client.post(
                "/dq/expectations",
                json={
                    "config_id": config["id"],
                    "metric_type": metric,
                    "column": "ms",
                    "threshold": {"strategy": "absolute", "max": 1000},
                },
            )
        ).json()
        for metric in ("max", "null_count")
    }
    run = await client.post(
        "/dq/runs", params={"wait": "true"}, json={"config_id": config["id"], "days": DAYS}
    )
    assert run.status_code == 201 and run.json()["breaches_opened"] >= 1, run.text
    async with secured.as_role("viewer") as viewer, secured.as_role("steward") as steward:
        results = (await viewer.get(f"/dq/expectations/{made['max']['id']}/results")).json()
        assert results and all(r["value"] is None for r in results)
        assert all(r["threshold_high"] is None for r in results)
        counts = (await viewer.get(f"/dq/expectations/{made['null_count']['id']}/results")).json()
        assert counts and all(r["value"] == 0 for r in counts)
        clear = (await steward.get(f"/dq/expectations/{made['max']['id']}/results")).json()
        assert {r["value"] for r in clear} == {300, 3000}
        summary = (await viewer.get(f"/dq/configs/{config['id']}/summary")).json()
        latest = {e["expectation"]["metric_type"]: e["latest"] for e in summary["expectations"]}
        assert latest["max"]["value"] is None and latest["null_count"]["value"] == 0
        listed = await viewer.get("/dq/breaches", params={"config_id": config["id"]})
        (breach,) = listed.json()["items"]
        assert breach["metric_type"] == "max" and breach["value"] is None
        assert (await viewer.get(f"/dq/breaches/{breach['id']}")).json()["value"] is None
        assert (await steward.get(f"/dq/breaches/{breach['id']}")).json()["value"] == 3000
    # The admin is not exempt either (exemption is by listed role only).
    resp = await client.get("/dq/breaches", params={"config_id": config["id"]})
    assert resp.json()["items"][0]["value"] is None


async def test_bad_input_is_a_clear_4xx(client: httpx.AsyncClient, metrics_source: str) -> None:
    async def post(path: str, body: dict[str, Any], status: int, needle: str) -> None:
        resp = await client.post(path, json=body)
        assert resp.status_code == status, resp.text
        assert needle in _error(resp)["message"], resp.text

    await post(
        "/dq/configs",
        {"object_ref": "dqsrc.public.nope", "date_column": "at"},
        404,
        "not in the catalog",
    )
    await post(
        "/dq/configs", {"object_ref": metrics_source, "date_column": "ms"}, 400, "not a date"
    )
    config_id = (await _configure(client, metrics_source))[0]["id"]
    await post(
        "/dq/configs", {"object_ref": metrics_source, "date_column": "at"}, 409, "already has"
    )
    base = {"config_id": config_id, "threshold": {"strategy": "absolute", "min": 0}}
    await post("/dq/expectations", {**base, "metric_type": "mean"}, 400, "needs a column")
    await post(
        "/dq/expectations",
        {**base, "metric_type": "mean", "column": "ghost"},
        400,
        "'ghost' is not in the catalog",
    )
    await post(
        "/dq/expectations",
        {**base, "metric_type": "mean", "column": "page"},
        400,
        "needs a numeric column",
    )
    await post(
        "/dq/expectations",
        {**base, "metric_type": "row_count", "threshold": {"strategy": "anomaly", "method": "x"}},
        400,
        "method must be",
    )
    resp = await client.post("/dq/expectations", json={**base, "metric_type": "p99"})
    assert resp.status_code == 400 and "metric_type" in resp.text  # rejected by the schema
    await post(
        "/dq/runs", {"object_ref": metrics_source, "config_id": config_id}, 400, "exactly one"
    )
    future = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    await post("/dq/runs", {"config_id": config_id, "date": future}, 400, "in the future")
    assert (await client.get("/dq/runs/999999")).status_code == 404
    assert (await client.get("/dq/breaches/999999")).status_code == 404
    assert (await client.get("/dq/expectations", params={"config_id": 999999})).status_code == 404


async def test_expectation_update_and_delete(
    client: httpx.AsyncClient, metrics_source: str
) -> None:
    config_id = (await _configure(client, metrics_source))[0]["id"]
    created = await client.post(
        "/dq/expectations",
        json={
            "config_id": config_id,
            "metric_type": "max",
            "column": "ms",
            "threshold": {"strategy": "absolute", "max": 5000},
        },
    )
    assert created.status_code == 201, created.text
    exp_id = created.json()["id"]
    changed = await client.patch(
        f"/dq/expectations/{exp_id}", json={"priority": "critical", "enabled": False}
    )
    assert changed.status_code == 200 and changed.json()["priority"] == "critical"
    assert changed.json()["threshold"] == {"strategy": "absolute", "max": 5000}
    empty = await client.patch(f"/dq/expectations/{exp_id}", json={})
    assert empty.status_code == 400
    assert (await client.delete(f"/dq/expectations/{exp_id}")).status_code == 204
    assert (await client.get(f"/dq/expectations/{exp_id}")).status_code == 404


async def test_cli_backfill_status_and_breaches(
    stack: Stack, client: httpx.AsyncClient, metrics_source: str
) -> None:
    import json

    made = await cli(stack, "dq", "config", "create", metrics_source, "--date-column", "at")
    assert made.exit_code == 0, made.output
    listed = await cli(stack, "--format", "json", "dq", "config", "show", metrics_source)
    assert listed.exit_code == 0, listed.output
    added = await cli(
        stack, "dq", "expectation", "add", metrics_source, "distinct_count", "-c", "page"
    )
    assert added.exit_code == 0, added.output
    again = await cli(
        stack, "dq", "expectation", "add", metrics_source, "distinct_count", "-c", "page"
    )
    assert again.exit_code == 1, again.output  # the same expectation twice
    config = json.loads(listed.stdout)
    rows = {"config_id": config["id"], "metric_type": "row_count"}
    resp = await client.post(
        "/dq/expectations", json={**rows, "threshold": {"strategy": "absolute", "min": 0}}
    )
    assert resp.status_code == 201, resp.text
    result = await cli(
        stack,
        "dq",
        "backfill",
        metrics_source,
        "--days",
        "7",
        "--parallel",
        "2",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["success"] == 7 and body["failed"] == 0 and len(body["dates"]) == 7
    assert body["run"]["status"] == "succeeded"
    table = await cli(
        stack, "dq", "backfill", metrics_source, "--start", "2020-01-01", "--end", "2020-01-03"
    )
    assert table.exit_code == 0, table.output
    assert "2020-01-02" in table.stdout and "3/3 periods measured" in table.stdout
    status = await cli(stack, "dq", "status", metrics_source, "--format", "table")
    assert status.exit_code == 0, status.output
    assert "row_count" in status.stdout and "open breaches" in status.stdout
    bad = await cli(stack, "dq", "backfill", metrics_source, "--start", "2020-01-01")
    assert bad.exit_code == 2 and "--end" in bad.output
    missing = await cli(stack, "dq", "status", "dqsrc.public.nothing")
    assert missing.exit_code == 1 and "has no DQ config" in missing.output
    breaches = await cli(
        stack, "--format", "json", "dq", "breach", "list", "--object", metrics_source
    )
    assert breaches.exit_code == 0, breaches.output
    assert all(b["object_ref"] == metrics_source for b in json.loads(breaches.stdout))

"""Schedules over REST with the real scheduler, catalog and quality services: validation,
a manual run that really starts a scan, history, disable/delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_testkit import Stack, cli

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_sched"  # this module's source (the `shop` fixture scans it)


def _error(resp: httpx.Response) -> str:
    message: str = resp.json()["error"]["message"]
    return message


async def test_bad_schedules_are_400_and_write_nothing(client: httpx.AsyncClient) -> None:
    base: dict[str, Any] = {
        "name": f"{SHOP} nightly",
        "cron": "0 2 * * *",
        "task_type": "metadata_scan",
        "params": {"source_name": SHOP},
    }
    for change, needle in [
        ({"cron": "every night"}, "cron"),
        ({"cron": "61 * * * *"}, "cron"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"params": {}}, "source_name"),
        ({"task_type": "dq_run", "params": {"source_name": SHOP}}, "object_ref"),
    ]:
        resp = await client.post("/schedules", json={**base, **change})
        assert resp.status_code == 400, (change, resp.text)
        assert needle in _error(resp), resp.text
    resp = await client.post("/schedules", json={**base, "task_type": "reboot"})
    assert resp.status_code == 400 and "task_type" in resp.text
    listed = await client.get("/schedules", params={"limit": 500})
    assert listed.status_code == 200
    assert [s for s in listed.json()["items"] if s["name"] == base["name"]] == []
    assert (await client.get("/schedules/424242")).status_code == 404
    assert (await client.post("/schedules/424242/run")).status_code == 404


async def test_run_now_starts_a_real_scan_and_is_in_the_history(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    created = await client.post(
        "/schedules",
        json={
            "name": f"{SHOP} every night",
            "cron": "30 2 * * *",
            "timezone": "Europe/Paris",
            "task_type": "metadata_scan",
            "params": {"source_name": SHOP},
        },
    )
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["next_run_at"] and schedule["enabled"] and schedule["created_by"]
    run = await client.post(f"/schedules/{schedule['id']}/run", params={"wait": "true"})
    assert run.status_code == 201, run.text
    body = run.json()
    assert body["trigger"] == "manual" and body["triggered_by"] == "bootstrap-admin"
    assert body["status"] == "succeeded", body
    scan = await client.get(f"/scans/{body['target_id']}")
    assert scan.status_code == 200 and scan.json()["source_name"] == SHOP
    history = await client.get(f"/schedules/{schedule['id']}/runs")
    assert [r["id"] for r in history.json()["items"]] == [body["id"]]
    everything = await client.get("/schedules/runs", params={"schedule_id": schedule["id"]})
    assert [r["id"] for r in everything.json()["items"]] == [body["id"]]
    # Statuses filter by their lower-case names; anything else is a 400 naming them.
    mine = {"schedule_id": schedule["id"]}
    succeeded = await client.get("/schedules/runs", params={**mine, "status": "succeeded"})
    assert [r["id"] for r in succeeded.json()["items"]] == [body["id"]]
    failed = await client.get("/schedules/runs", params={**mine, "status": "failed"})
    assert failed.json()["items"] == []
    bad = await client.get("/schedules/runs", params={"status": "done"})
    assert bad.status_code == 400 and "status: must be one of pending, running" in _error(bad)

    disabled = await client.patch(f"/schedules/{schedule['id']}", json={"enabled": False})
    assert disabled.status_code == 200 and disabled.json()["next_run_at"] is None
    assert (disabled.json()["cron"], disabled.json()["timezone"]) == ("30 2 * * *", "Europe/Paris")
    assert (await client.patch(f"/schedules/{schedule['id']}", json={})).status_code == 400
    assert (await client.delete(f"/schedules/{schedule['id']}")).status_code == 204
    assert (await client.get(f"/schedules/{schedule['id']}")).status_code == 404


async def test_cli_list_run_once_and_runs(stack: Stack, shop: dict[str, Any]) -> None:
    import json

    made = await cli(
        stack, "--format", "json", "scheduler", "create", f"{SHOP} cli nightly",
        "--cron", "0 3 * * *", "--scan", SHOP,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    schedule = json.loads(made.stdout)
    listed = await cli(stack, "scheduler", "list")
    assert listed.exit_code == 0 and f"{SHOP} cli nightly" in listed.stdout
    ran = await cli(stack, "scheduler", "run-once", str(schedule["id"]))
    assert ran.exit_code == 0, ran.output
    assert "succeeded" in ran.stdout
    runs = await cli(stack, "--format", "json", "scheduler", "runs", str(schedule["id"]))
    assert runs.exit_code == 0 and json.loads(runs.stdout)[0]["trigger"] == "manual"
    bad = await cli(stack, "scheduler", "create", "x", "--cron", "nope", "--scan", SHOP)
    assert bad.exit_code == 1 and "cron" in bad.output
    both = await cli(stack, "scheduler", "create", "x", "--cron", "* * * * *")
    assert both.exit_code == 2

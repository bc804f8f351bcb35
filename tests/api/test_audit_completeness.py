"""Audit completeness for the catalog's other mutations, through REST: cancelling a scan,
changing an object's description and tags, declaring a constraint, declaring a lineage edge and
adding transformation code each leave exactly one audit event (the governance consumer is
asynchronous, so events are awaited) with the right action, entity, actor, request id and
field-level diff."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from api_testkit import Secured

from devstack.testing import eventually
from devstack.urls import with_database

pytestmark = pytest.mark.asyncio(loop_scope="session")

SOURCE = "cmp"


async def _one_event(secured: Secured, **filters: str) -> dict[str, Any]:
    """Poll the audit trail until an event matches; then fail unless exactly one does."""
    async with secured.as_role("steward") as http:

        async def probe() -> list[dict[str, Any]] | None:
            resp = await http.get("/audit/events", params=filters)
            assert resp.status_code == 200, resp.text
            items: list[dict[str, Any]] = resp.json()["items"]
            return items or None

        await eventually(probe)
        await asyncio.sleep(0.3)  # a duplicate, if any, would have arrived with the first
        resp = await http.get("/audit/events", params=filters)
        items = resp.json()["items"]
    assert len(items) == 1, items
    event: dict[str, Any] = items[0]
    return event


def _assert_context(event: dict[str, Any], user: str, request_id: str) -> None:
    assert event["user"] == user and event["request_id"] == request_id
    assert event["service"] == "catalog"
    assert event["client_ip"] == "127.0.0.1" and event["user_agent"].startswith("python-httpx")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def objects(secured: Secured) -> dict[str, dict[str, Any]]:
    """Source `cmp` created and scanned once; its objects by name."""
    async with secured.client() as admin:
        body = {"name": SOURCE, "source_type": "postgres", "connection": secured.stack.connection()}
        resp = await admin.post("/sources", json=body)
        assert resp.status_code == 201, resp.text
        resp = await admin.post(f"/sources/{SOURCE}/scans", params={"wait": "true"})
        assert resp.status_code == 201, resp.text
        found = {}
        for name in ("orders", "customers"):
            resp = await admin.get(f"/objects/{SOURCE}.sales.{name}")
            assert resp.status_code == 200, resp.text
            found[name] = resp.json()
    return found


async def test_scan_cancel_is_audited(secured: Secured, objects: dict[str, Any]) -> None:
    # An exclusive lock on the view blocks the scan's pg_get_viewdef: the scan stays running.
    source_url = with_database(secured.stack.database_url, secured.stack.source_database)
    blocker = await asyncpg.connect(source_url)
    try:
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute('LOCK TABLE sales."big.orders" IN ACCESS EXCLUSIVE MODE')
        async with secured.as_role("editor") as editor:
            started = await editor.post(f"/sources/{SOURCE}/scans")
            assert started.status_code == 202, started.text
            scan_id = started.json()["id"]
            assert started.json()["status"] == "running"
        async with secured.client(secured.keys["editor"], **{"X-Request-ID": "req-cancel"}) as ed:
            resp = await ed.post(f"/scans/{scan_id}/cancel")
            assert resp.status_code == 202, resp.text

            async def finished() -> dict[str, Any] | None:
                run: dict[str, Any] = (await ed.get(f"/scans/{scan_id}")).json()
                return run if run["status"] != "running" else None

            # The lock is held until the scan noticed the cancellation.
            assert (await eventually(finished))["status"] == "cancelled"
        await tx.rollback()
    finally:
        await blocker.close()

    event = await _one_event(secured, action="scan.cancel", entity=str(scan_id))
    assert event["entity_type"] == "scan" and event["entity_id"] == str(scan_id)
    assert event["changes"] == {"cancel_requested": {"old": False, "new": True}}
    _assert_context(event, "editor-user", "req-cancel")


async def test_object_description_and_tags_update_is_audited(
    secured: Secured, objects: dict[str, Any]
) -> None:
    orders = objects["orders"]
    async with secured.client(secured.keys["editor"], **{"X-Request-ID": "req-tags"}) as editor:
        resp = await editor.patch(
            f"/objects/{SOURCE}.sales.orders",
            json={"description": "All orders", "tags": ["Sales", "pii"]},
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["tags"] == ["pii", "sales"]
    event = await _one_event(secured, action="object.update", entity=orders["urn"])
    assert event["entity_type"] == "object" and event["entity_id"] == str(orders["id"])
    assert event["entity_urn"] == orders["urn"]
    assert event["changes"] == {
        # The source's table comment is not the catalog's description: none was set before.
        "description": {"old": None, "new": "All orders"},
        "tags": {"old": orders["tags"], "new": ["pii", "sales"]},
    }
    _assert_context(event, "editor-user", "req-tags")


async def test_declared_constraint_is_audited(secured: Secured, objects: dict[str, Any]) -> None:
    customers = objects["customers"]
    async with secured.client(secured.keys["steward"], **{"X-Request-ID": "req-uniq"}) as st:
        resp = await st.post(
            f"/capsules/{customers['urn']}/constraints",
            json={"constraint_type": "unique", "name": "uq_email", "columns": ["email"]},
        )
        assert resp.status_code == 201, resp.text
    event = await _one_event(secured, action="constraint.declare", entity=customers["urn"])
    assert event["entity_type"] == "object" and event["entity_id"] == str(customers["id"])
    assert event["changes"] == {"constraint": {"old": None, "new": "unique(email)"}}
    _assert_context(event, "steward-user", "req-uniq")


async def test_declared_lineage_edge_is_audited(secured: Secured, objects: dict[str, Any]) -> None:
    orders, customers = objects["orders"], objects["customers"]
    async with secured.client(secured.keys["editor"], **{"X-Request-ID": "req-edge"}) as editor:
        resp = await editor.post(
            "/lineage/edges",
            json={"upstream": orders["urn"], "downstream": f"{SOURCE}.sales.customers"},
        )
        assert resp.status_code == 201, resp.text
    event = await _one_event(secured, action="lineage.declare", entity=customers["urn"])
    assert event["entity_type"] == "object" and event["entity_id"] == str(customers["id"])
    assert event["changes"] == {"upstream": {"old": None, "new": orders["urn"]}}
    _assert_context(event, "editor-user", "req-edge")


async def test_added_transformation_code_is_audited(
    secured: Secured, objects: dict[str, Any]
) -> None:
    orders = objects["orders"]
    async with secured.client(secured.keys["admin"], **{"X-Request-ID": "req-code"}) as admin:
        resp = await admin.post(
            f"/capsules/{orders['urn']}/transformation-code",
            json={"language": "sql", "code_text": "SELECT id, amount FROM staging.orders"},
        )
        assert resp.status_code == 201, resp.text
        code_hash = resp.json()["code_hash"]
    event = await _one_event(secured, action="transformation_code.add", entity=orders["urn"])
    assert event["entity_type"] == "object" and event["entity_id"] == str(orders["id"])
    assert event["changes"] == {"code_hash": {"old": None, "new": code_hash}}
    assert "staging.orders" not in str(event)  # the code itself is not copied into the trail
    _assert_context(event, "admin-user", "req-code")

"""Audit completeness through REST: each mutation type leaves exactly one audit event with the
right diff, caller and request id; the trail is queryable, filterable and exportable."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import httpx
import pytest
from api_testkit import USER_PASSWORD as PASSWORD
from api_testkit import Secured

from devstack.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _one_event(secured: Secured, **filters: str) -> dict[str, Any]:
    """Poll the audit trail until exactly one event matches; fail on duplicates."""
    async with secured.as_role("admin") as http:

        async def probe() -> list[dict[str, Any]] | None:
            resp = await http.get("/audit/events", params=filters)
            assert resp.status_code == 200, resp.text
            items: list[dict[str, Any]] = resp.json()["items"]
            return items or None

        items = await eventually(probe)
        await _settle()
        items = (await http.get("/audit/events", params=filters)).json()["items"]
    assert len(items) == 1, items
    return items[0]


async def _settle() -> None:
    await asyncio.sleep(0.3)  # a duplicate, if any, would have arrived with the first


async def test_object_description_change_is_audited_with_old_new_caller_request_id(
    secured: Secured,
) -> None:
    conn = secured.stack.connection()
    async with secured.client() as admin:
        resp = await admin.post(
            "/sources",
            json={"name": "aud", "source_type": "postgres", "connection": conn},
        )
        assert resp.status_code == 201, resp.text
        assert (await admin.post("/sources/aud/scans", params={"wait": "true"})).status_code == 201
    async with secured.client(secured.keys["editor"], **{"X-Request-ID": "req-desc-1"}) as editor:
        resp = await editor.patch("/objects/aud.sales.orders", json={"description": "Orders v1"})
        assert resp.status_code == 200, resp.text
        urn = resp.json()["urn"]
    event = await _one_event(secured, entity_type="object", entity=urn, action="object.update")
    assert event["changes"] == {"description": {"old": None, "new": "Orders v1"}}
    assert event["user"] == "editor-user" and event["request_id"] == "req-desc-1"
    assert event["service"] == "catalog" and event["entity_urn"] == urn
    assert event["client_ip"] == "127.0.0.1" and event["user_agent"].startswith("python-httpx")

    async with secured.client(secured.keys["steward"], **{"X-Request-ID": "req-desc-2"}) as st:
        resp = await st.patch("/objects/aud.sales.orders", json={"description": "Orders v2"})
        assert resp.status_code == 200
    event = await _one_event(secured, entity=urn, user="steward-user")
    assert event["changes"] == {"description": {"old": "Orders v1", "new": "Orders v2"}}
    assert event["request_id"] == "req-desc-2"


async def test_every_mutation_type_leaves_exactly_one_event(secured: Secured) -> None:
    conn = secured.stack.connection()
    async with secured.client() as admin:
        created = await admin.post(
            "/sources", json={"name": "mut", "source_type": "postgres", "connection": conn}
        )
        assert created.status_code == 201, created.text
        source_id = str(created.json()["id"])
        patched = await admin.patch("/sources/mut", json={"description": "described"})
        assert patched.status_code == 200
        scan = await admin.post("/sources/mut/scans", params={"wait": "true"})
        assert scan.status_code == 201
        assert (await admin.delete("/sources/mut")).status_code == 200
        user = await admin.post(
            "/auth/users", json={"username": "audited", "password": PASSWORD, "role": "viewer"}
        )
        assert user.status_code == 201
        assert (
            await admin.patch("/auth/users/audited", json={"role": "editor"})
        ).status_code == 200
        key = (await admin.post("/auth/api-keys", json={"name": "k", "user": "audited"})).json()
        assert (await admin.delete(f"/auth/api-keys/{key['id']}")).status_code == 200

    source = "source"
    event = await _one_event(secured, action="source.create", entity=source_id)
    assert event["changes"]["name"] == {"old": None, "new": "mut"}
    assert str(conn["password"]) not in json.dumps(event)  # connection values are never audited
    event = await _one_event(secured, action="source.update", entity=source_id)
    assert event["changes"] == {"description": {"old": "", "new": "described"}}
    event = await _one_event(secured, action="scan.start", entity=str(scan.json()["id"]))
    assert event["changes"] == {"status": {"old": None, "new": "running"}}
    event = await _one_event(secured, action="source.delete", entity=source_id)
    assert event["entity_type"] == source and event["changes"]["name"]["new"] is None
    event = await _one_event(secured, action="user.create", entity="audited")
    assert event["changes"]["role"] == {"old": None, "new": "viewer"}
    event = await _one_event(secured, action="user.update", entity="audited")
    assert event["changes"] == {"role": {"old": "viewer", "new": "editor"}}
    assert event["user"] == "bootstrap-admin"
    event = await _one_event(secured, action="api_key.create", entity=str(key["id"]))
    assert event["changes"]["prefix"]["new"] == key["prefix"]
    assert key["key"] not in json.dumps(event)  # the key itself never reaches the trail
    event = await _one_event(secured, action="api_key.revoke", entity=str(key["id"]))
    assert event["changes"]["revoked_at"]["new"]


async def test_audit_filters_paging_errors_and_export(secured: Secured) -> None:
    formula = '=HYPERLINK("http://evil.example","x")'  # a caller-chosen user agent
    async with secured.client() as admin, secured.client(**{"User-Agent": formula}) as odd:
        for i in range(3):
            resp = await (odd if i == 0 else admin).post(
                "/auth/users", json={"username": f"pg{i}", "password": PASSWORD}
            )
            assert resp.status_code == 201

        async def three() -> bool:
            got = await admin.get("/audit/events", params={"action": "user.create", "limit": 500})
            names = {e["entity_id"] for e in got.json()["items"]}
            return {"pg0", "pg1", "pg2"} <= names

        await eventually(three)
        page = await admin.get("/audit/events", params={"action": "user.create", "limit": 1})
        assert len(page.json()["items"]) == 1 and page.json()["next_cursor"]
        bad = [
            {"since": "2030-01-01T00:00:00Z", "until": "2020-01-01T00:00:00Z"},
            {"since": "yesterday"},
            {"cursor": "garbage"},
            {"limit": 0},
        ]
        for params in bad:
            resp = await admin.get("/audit/events", params=params)
            assert resp.status_code == 400, params
        future = await admin.get("/audit/events", params={"since": "2999-01-01T00:00:00Z"})
        assert future.json()["items"] == []

        lines = await admin.get("/audit/events/export", params={"action": "user.create"})
        assert lines.status_code == 200
        assert lines.headers["content-type"].startswith("application/x-ndjson")
        exported = [json.loads(line) for line in lines.text.splitlines()]
        assert {"pg0", "pg1", "pg2"} <= {e["entity_id"] for e in exported}
        assert all(e["action"] == "user.create" for e in exported)

        table = await admin.get(
            "/audit/events/export", params={"action": "user.create", "format": "csv"}
        )
        assert table.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(table.text)))
        assert len(rows) == len(exported) and rows[0]["action"] == "user.create"
        assert json.loads(rows[0]["changes"])["role"]["new"] == "viewer"
        # A cell a spreadsheet would run as a formula is neutralised (JSON lines keep it).
        agents = {r["entity_id"]: r["user_agent"] for r in rows}
        assert agents["pg0"] == "'" + formula
        assert {e["entity_id"]: e["user_agent"] for e in exported}["pg0"] == formula
        assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
        resp = await admin.get("/audit/events/export", params={"format": "xml"})
        assert resp.status_code == 400


async def test_audit_trail_is_read_only_and_not_for_editors(secured: Secured) -> None:
    async with secured.as_role("editor") as editor:
        assert (await editor.get("/audit/events")).status_code == 403
    async with secured.client() as admin:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            resp = await admin.request(method, "/audit/events")
            assert resp.status_code == 405, method
    async with httpx.AsyncClient(base_url=secured.api) as anon:
        assert (await anon.get("/audit/events")).status_code == 401

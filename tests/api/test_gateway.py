"""The REST gateway over HTTP against a real catalog service, PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from api_testkit import ADMIN_KEY, PASSWORD, Secured, Stack, serve
from starlette.datastructures import State

from devstack.embedded import free_port
from gateway_service.app import create_app
from gateway_service.config import GatewaySettings
from gateway_service.health import routes as health_routes
from gateway_service.health.routes import HealthCache
from gateway_service.health.schemas import Health as HealthBody

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_gw"  # this module's source (the `shop` fixture scans it)


def error(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert set(body) == {"error"}, body
    err: dict[str, Any] = body["error"]
    assert set(err) == {"code", "message", "request_id"}
    assert err["request_id"] == resp.headers["x-request-id"]
    return err


# ---------------------------------------------------------------- sources


async def test_source_lifecycle(stack: Stack, client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/sources",
        json={
            "name": "crm",
            "source_type": "postgres",
            "description": "CRM replica",
            "connection": stack.connection(),
        },
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["name"] == "crm" and created["description"] == "CRM replica"
    assert created["last_scan"] is None
    assert "password" in created["connection_keys"] and "connection" not in created
    assert PASSWORD not in resp.text
    assert re.match(r"\d{4}-\d\d-\d\dT", created["created_at"])

    resp = await client.get("/sources/crm")
    assert resp.status_code == 200 and resp.json()["id"] == created["id"]
    assert PASSWORD not in resp.text

    resp = await client.get("/sources", params={"limit": 500})
    assert resp.status_code == 200
    page = resp.json()
    assert set(page) == {"items", "next_cursor"}
    assert "crm" in [s["name"] for s in page["items"]]

    resp = await client.patch(
        "/sources/crm", json={"description": "CRM", "connection": {"sslmode": "disable"}}
    )
    assert resp.status_code == 200, resp.text
    updated = resp.json()
    assert updated["description"] == "CRM"
    # Keys merged: the password is still set though not re-sent.
    assert {"password", "sslmode", "host"} <= set(updated["connection_keys"])

    # Moving the endpoint without the password again would send it to the new server.
    for moved in ({"host": "203.0.113.9"}, {"port": 6543}, {"database": "other"}):
        resp = await client.patch("/sources/crm", json={"connection": moved})
        assert resp.status_code == 400, moved
        assert "connection.password" in error(resp)["message"]
    resp = await client.get("/sources/crm")
    assert resp.json()["connection_keys"] == updated["connection_keys"]
    resp = await client.patch(
        "/sources/crm", json={"connection": {"database": "other", "password": PASSWORD}}
    )
    assert resp.status_code == 200, resp.text

    resp = await client.delete("/sources/crm")
    assert resp.status_code == 200 and resp.json() == {"objects_deleted": 0}
    resp = await client.get("/sources/crm")
    assert resp.status_code == 404
    assert error(resp)["code"] == "NOT_FOUND"


async def test_source_pagination(stack: Stack, client: httpx.AsyncClient) -> None:
    for name in ("page-a", "page-b", "page-c"):
        resp = await client.post(
            "/sources",
            json={"name": name, "source_type": "postgres", "connection": stack.connection()},
        )
        assert resp.status_code == 201, resp.text
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        resp = await client.get("/sources", params=params)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert len(page["items"]) <= 1
        seen += [s["name"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert {"page-a", "page-b", "page-c"} <= set(seen)
    assert len(seen) == len(set(seen))
    for name in ("page-a", "page-b", "page-c"):
        assert (await client.delete(f"/sources/{name}")).status_code == 200


async def test_source_errors(stack: Stack, client: httpx.AsyncClient) -> None:
    body = {"name": "dup", "source_type": "postgres", "connection": stack.connection()}
    assert (await client.post("/sources", json=body)).status_code == 201
    resp = await client.post("/sources", json=body)
    assert resp.status_code == 409
    assert error(resp)["code"] == "ALREADY_EXISTS"

    resp = await client.post("/sources", json={**body, "name": "odd", "source_type": "oracle"})
    assert resp.status_code == 400
    err = error(resp)
    assert err["code"] == "INVALID_ARGUMENT" and "oracle" in err["message"]

    resp = await client.post("/sources", json={"name": "nosrc", "connection": {}})
    assert resp.status_code == 400
    err = error(resp)
    assert err["code"] == "INVALID_ARGUMENT" and "source_type" in err["message"]

    resp = await client.post("/sources", json={**body, "name": "Bad Name"})
    assert resp.status_code == 400 and error(resp)["code"] == "INVALID_ARGUMENT"

    resp = await client.post(
        "/sources", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400 and error(resp)["code"] == "INVALID_ARGUMENT"

    for limit in ("0", "501", "ten"):
        resp = await client.get("/sources", params={"limit": limit})
        assert resp.status_code == 400, limit
        assert "limit" in error(resp)["message"]

    resp = await client.get("/sources", params={"cursor": "not-a-cursor!"})
    assert resp.status_code == 400
    assert "cursor" in error(resp)["message"]

    resp = await client.get("/no-such-route")
    assert resp.status_code == 404 and error(resp)["code"] == "NOT_FOUND"
    assert (await client.delete("/sources/dup")).status_code == 200


# ---------------------------------------------------------------- scans


async def test_scan_with_wait(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    assert shop["status"] == "succeeded", shop
    assert shop["source_name"] == SHOP
    assert shop["objects_found"] == 3 and shop["objects_created"] == 3
    assert shop["columns_found"] == 9
    assert shop["error"] is None and shop["triggered_by"] == "bootstrap-admin"
    assert shop["finished_at"] and shop["duration_ms"] is not None

    resp = await client.get(f"/scans/{shop['id']}")
    assert resp.status_code == 200 and resp.json()["status"] == "succeeded"
    resp = await client.get(f"/sources/{SHOP}/scans")
    assert resp.status_code == 200
    assert [r["id"] for r in resp.json()["items"]][-1] == shop["id"]
    resp = await client.get(f"/sources/{SHOP}")
    assert resp.json()["last_scan"]["id"] == shop["id"]

    assert (await client.get("/scans/999999")).status_code == 404
    assert (await client.get("/scans/abc")).status_code == 400


async def test_scan_without_wait(stack: Stack, client: httpx.AsyncClient) -> None:
    name = f"{SHOP}_nowait"  # its own: a scan of `shop` would change that source's last scan
    body = {"name": name, "source_type": "postgres", "connection": stack.connection()}
    assert (await client.post("/sources", json=body)).status_code == 201
    resp = await client.post(f"/sources/{name}/scans")
    assert resp.status_code == 202, resp.text
    run = resp.json()
    assert run["status"] in ("running", "succeeded") and run["source_name"] == name
    resp = await client.post("/sources/nope/scans")
    assert resp.status_code == 404


async def test_scan_of_unreachable_source_fails(stack: Stack, client: httpx.AsyncClient) -> None:
    connection = stack.connection(host="127.0.0.1", port=free_port(), connect_timeout_seconds=2)
    resp = await client.post(
        "/sources", json={"name": "down", "source_type": "postgres", "connection": connection}
    )
    assert resp.status_code == 201, resp.text
    resp = await client.post("/sources/down/scans", params={"wait": "true"})
    assert resp.status_code == 201, resp.text
    run = resp.json()
    assert run["status"] == "failed"
    assert run["error"] and PASSWORD not in run["error"]
    resp = await client.get(f"/scans/{run['id']}")
    assert resp.json()["status"] == "failed" and resp.json()["error"] == run["error"]
    assert (await client.delete("/sources/down")).status_code == 200


# ---------------------------------------------------------------- objects


async def test_search_objects(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.get("/objects", params={"q": "orders"})
    assert resp.status_code == 200, resp.text
    refs = [o["ref"] for o in resp.json()["items"]]
    assert f"{SHOP}.sales.orders" in refs
    assert all("columns" not in o for o in resp.json()["items"])

    resp = await client.get("/objects", params={"source": SHOP, "type": "view"})
    assert [o["ref"] for o in resp.json()["items"]] == [f"{SHOP}.sales.big.orders"]
    resp = await client.get("/objects", params={"type": "sandwich"})
    assert resp.status_code == 400 and "type" in error(resp)["message"]


async def test_get_object_by_ref_urn_and_id(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    resp = await client.get(f"/objects/{SHOP}.sales.orders")
    assert resp.status_code == 200, resp.text
    obj = resp.json()
    assert obj["object_type"] == "table" and obj["schema_name"] == "sales"
    assert obj["description"] == "Customer orders" and obj["column_count"] == 4
    assert [c["name"] for c in obj["columns"]] == ["id", "customer_id", "amount", "note"]
    amount = obj["columns"][2]
    assert amount["comment"] == "Order total" and amount["nullable"] is False
    assert obj["urn"].startswith("urn:dcs:postgres:table:")

    for ref in (obj["urn"], str(obj["id"]), quote(obj["urn"], safe="")):
        resp = await client.get(f"/objects/{ref}")
        assert resp.status_code == 200, (ref, resp.text)
        assert resp.json()["id"] == obj["id"]

    # A name with a dot, addressed by ref (it also ends the path like `/columns` would not).
    resp = await client.get(f"/objects/{SHOP}.sales.big.orders")
    assert resp.status_code == 200 and resp.json()["object_type"] == "view"


async def test_object_columns(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.get(f"/objects/{SHOP}.sales.orders/columns", params={"limit": 3})
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert [c["ordinal"] for c in page["items"]] == [1, 2, 3]
    assert page["next_cursor"]
    resp = await client.get(
        f"/objects/{SHOP}.sales.orders/columns", params={"limit": 3, "cursor": page["next_cursor"]}
    )
    assert [c["name"] for c in resp.json()["items"]] == ["note"]
    assert resp.json()["next_cursor"] is None

    urn = (await client.get(f"/objects/{SHOP}.sales.big.orders")).json()["urn"]
    resp = await client.get(f"/objects/{urn}/columns")
    assert resp.status_code == 200 and [c["name"] for c in resp.json()["items"]] == ["id", "amount"]


async def test_object_not_found_and_malformed(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    for ref in (f"{SHOP}.sales.nothing", "987654321", "99999999999999999999999"):
        resp = await client.get(f"/objects/{ref}")
        assert resp.status_code == 404, ref
        assert error(resp)["code"] == "NOT_FOUND"
    for ref in ("just-a-name", "urn:dcs:bad"):
        resp = await client.get(f"/objects/{ref}")
        assert resp.status_code == 400, ref
        assert error(resp)["code"] == "INVALID_ARGUMENT"


async def test_update_object(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    resp = await client.patch(
        f"/objects/{SHOP}.sales.customers",
        json={"description": "Everyone who ordered", "tags": ["PII", "core"]},
    )
    assert resp.status_code == 200, resp.text
    obj = resp.json()
    assert obj["description"] == "Everyone who ordered"
    assert sorted(obj["tags"]) == ["core", "pii"]
    assert obj["columns"]

    resp = await client.patch(f"/objects/{SHOP}.sales.customers", json={"tags": []})
    assert resp.json()["tags"] == [] and resp.json()["description"] == "Everyone who ordered"
    resp = await client.get("/objects", params={"q": "Everyone who ordered"})
    assert f"{SHOP}.sales.customers" in [o["ref"] for o in resp.json()["items"]]

    resp = await client.patch(f"/objects/{SHOP}.sales.customers", json={"owner": "me"})
    assert resp.status_code == 400 and "owner" in error(resp)["message"]
    resp = await client.patch(f"/objects/{SHOP}.sales.nothing", json={"description": "x"})
    assert resp.status_code == 404


# ---------------------------------------------------------------- auth & request context


async def test_authentication(stack: Stack) -> None:
    body = {"name": "auth", "source_type": "postgres", "connection": stack.connection()}
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1") as anon:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_KEY}):
            resp = await anon.post("/sources", json=body, headers=headers)
            assert resp.status_code == 401, headers
            assert resp.headers["www-authenticate"] == "Bearer"
            assert error(resp)["code"] == "UNAUTHENTICATED"
        # There is no anonymous read: GETs need a token too.
        assert (await anon.get("/sources")).status_code == 401

    # No bootstrap key configured: nothing authenticates.
    settings = stack.gateway_settings(bootstrap_admin_key=None)
    async with serve(settings) as url, httpx.AsyncClient(base_url=f"{url}/api/v1") as anon:
        resp = await anon.get("/sources", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        assert resp.status_code == 401


async def test_request_id(stack: Stack, client: httpx.AsyncClient) -> None:
    resp = await client.get("/sources", headers={"X-Request-ID": "req-123"})
    assert resp.headers["x-request-id"] == "req-123"
    resp = await client.get("/sources")
    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["x-request-id"])
    resp = await client.get("/sources/missing", headers={"X-Request-ID": "req-404"})
    assert resp.status_code == 404 and error(resp)["request_id"] == "req-404"
    async with httpx.AsyncClient(base_url=stack.gateway_url) as anon:
        resp = await anon.post("/api/v1/sources", json={}, headers={"X-Request-ID": "req-401"})
        assert resp.status_code == 401 and error(resp)["request_id"] == "req-401"
        resp = await anon.get("/health", headers={"X-Request-ID": "bad id with spaces"})
        assert resp.headers["x-request-id"] != "bad id with spaces"


# ---------------------------------------------------------------- operations


ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def test_health_ok(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, headers=ADMIN) as http:
        resp = await http.get("/health")
        assert resp.status_code == 200, resp.text
        assert resp.json() == {
            "status": "ok",
            "checks": {
                "catalog": {"status": "ok"},
                "quality": {"status": "ok"},
                "governance": {"status": "ok"},
                "notifier": {"status": "ok"},
                "scheduler": {"status": "ok"},
                "database": {"status": "ok"},
                "nats": {"status": "ok"},
            },
        }


async def test_health_details_only_for_admins(stack: Stack, secured: Secured) -> None:
    """The checks' errors name internal addresses: anonymous callers, bad tokens and
    non-admins get the overall status only (and the same HTTP status)."""
    settings = stack.gateway_settings(catalog_addr=f"127.0.0.1:{free_port()}")
    async with serve(settings) as url, httpx.AsyncClient(base_url=url) as http:
        for headers in (
            {},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": f"Bearer {secured.keys['viewer']}"},
            {"Authorization": f"Bearer {secured.keys['steward']}"},
        ):
            resp = await http.get("/health", headers=headers)
            assert resp.status_code == 503, headers
            assert resp.json() == {"status": "degraded"}, headers
            assert "127.0.0.1" not in resp.text
        for key in (ADMIN_KEY, secured.keys["admin"]):
            resp = await http.get("/health", headers={"Authorization": f"Bearer {key}"})
            assert resp.status_code == 503
            assert resp.json()["checks"]["catalog"]["status"] == "error"


async def test_health_probes_are_shared(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A burst of anonymous calls opens one database connection, not one each."""
    opened = 0
    probe = health_routes.CHECKS["database"]

    async def counting(settings: GatewaySettings, state: State) -> None:
        nonlocal opened
        opened += 1
        await probe(settings, state)

    monkeypatch.setitem(health_routes.CHECKS, "database", counting)
    async with serve(stack.gateway_settings()) as url, httpx.AsyncClient(base_url=url) as http:
        answers = await asyncio.gather(*(http.get("/health") for _ in range(30)))
        assert {a.status_code for a in answers} == {200}
        assert opened == 1
    async with serve(stack.gateway_settings(health_cache_seconds=0)) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            for _ in range(3):
                assert (await http.get("/health")).status_code == 200
        assert opened == 4


async def test_health_cache_expires() -> None:
    now = 100.0
    cache = HealthCache(2.0, clock=lambda: now)
    calls = 0

    async def probe() -> HealthBody:
        nonlocal calls
        calls += 1
        return HealthBody(status="ok", checks={})

    await cache.get(probe)
    now += 1.9
    await cache.get(probe)
    assert calls == 1
    now += 0.2
    await cache.get(probe)
    assert calls == 2


async def test_health_degraded_when_catalog_down(stack: Stack) -> None:
    settings = stack.gateway_settings(catalog_addr=f"127.0.0.1:{free_port()}")
    async with serve(settings) as url, httpx.AsyncClient(base_url=url, headers=ADMIN) as http:
        resp = await http.get("/health")
        assert resp.status_code == 503, resp.text
        body = resp.json()
        assert body["status"] == "degraded"
        assert body["checks"]["catalog"]["status"] == "error"
        assert body["checks"]["catalog"]["error"]
        assert body["checks"]["database"] == {"status": "ok"}
        assert body["checks"]["quality"] == {"status": "ok"}
        # Liveness ignores dependencies: a dead catalog must not get the gateway restarted.
        live = await http.get("/livez")
        assert live.status_code == 200 and live.json() == {"status": "ok"}
        # An API call through the dead channel is a 503 in the error shape.
        resp = await http.get("/api/v1/sources")
        assert resp.status_code == 503 and error(resp)["code"] == "UNAVAILABLE"


async def test_health_degraded_when_nats_down(stack: Stack) -> None:
    settings = stack.gateway_settings(nats_url=f"nats://127.0.0.1:{free_port()}")
    # The NATS probe gives up after 3.5 s: more than half of httpx's default 5 s timeout.
    async with (
        serve(settings) as url,
        httpx.AsyncClient(base_url=url, timeout=30, headers=ADMIN) as http,
    ):
        resp = await http.get("/health")
        assert resp.status_code == 503
        checks = resp.json()["checks"]
        assert checks["nats"]["status"] == "error" and checks["nats"]["error"]
        assert checks["catalog"] == {"status": "ok"}


async def test_metrics(stack: Stack, client: httpx.AsyncClient) -> None:
    await client.get("/sources")
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        resp = await http.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert 'dc_gateway_http_requests_total{method="GET",route="/api/v1/sources",status="200"}' in (
        resp.text
    )
    assert "dc_gateway_http_request_duration_seconds_bucket" in resp.text


async def test_openapi(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        spec = (await http.get("/openapi.json")).json()
        assert (await http.get("/docs")).status_code == 200
    paths = spec["paths"]
    for path in (
        "/api/v1/sources",
        "/api/v1/sources/{name}",
        "/api/v1/sources/{name}/scans",
        "/api/v1/scans/{scan_id}",
        "/api/v1/objects",
        "/api/v1/objects/{ref}",
        "/api/v1/objects/{ref}/columns",
        "/health",
        "/metrics",
    ):
        assert path in paths, path
    assert {"Source", "SourceCreate", "ScanRun", "CatalogObject", "Column"} <= set(
        spec["components"]["schemas"]
    )


async def test_unexpected_error_is_500_without_internals(stack: Stack) -> None:
    settings = stack.gateway_settings()
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    async with serve(settings, app) as url, httpx.AsyncClient(base_url=url) as http:
        resp = await http.get("/boom", headers={"X-Request-ID": "req-500"})
    assert resp.status_code == 500
    assert error(resp) == {"code": "INTERNAL", "message": "internal error", "request_id": "req-500"}
    assert "secret" not in resp.text

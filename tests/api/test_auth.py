"""Authentication and authorization at the gateway: every route needs credentials (except
health, metrics and login), every route enforces its role, and wrong, expired or revoked
credentials are refused."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from api_testkit import ADMIN_KEY, Secured, sql
from api_testkit import USER_PASSWORD as PASSWORD
from typer.testing import CliRunner, Result

from datacompass_cli import config
from datacompass_cli.main import app as cli_app
from devstack.embedded import free_port
from devstack.testing import eventually
from gateway_service.__main__ import server_options
from gateway_service.config import GatewaySettings
from gateway_service.core.authz import ROLES, allows, required_role

pytestmark = pytest.mark.asyncio(loop_scope="session")

# The only routes an anonymous caller may reach (/livez: the kubelet's liveness probe).
PUBLIC = {"/health", "/livez", "/metrics", "/api/v1/auth/login", "/api/v1/auth/refresh"}
# Path parameters that name nothing, so permitted calls fail harmlessly (404/400).
DUMMY = {"ref": "zz.missing.thing", "scan_id": "999999", "key_id": "999999"}

# The documented matrix (docs/security.md) for the routes this issue owns or relies on.
EXPECTED = {
    ("GET", "/api/v1/objects"): "viewer",
    ("PATCH", "/api/v1/objects/{ref}"): "editor",
    ("POST", "/api/v1/sources"): "admin",
    ("DELETE", "/api/v1/sources/{name}"): "admin",
    ("POST", "/api/v1/sources/{name}/scans"): "editor",
    ("GET", "/api/v1/audit/events"): "steward",
    ("GET", "/api/v1/audit/events/export"): "steward",
    ("GET", "/api/v1/auth/users"): "admin",
    ("POST", "/api/v1/auth/users"): "admin",
    ("GET", "/api/v1/auth/me"): "viewer",
    ("POST", "/api/v1/auth/api-keys"): "viewer",
    ("DELETE", "/api/v1/auth/api-keys/{key_id}"): "viewer",
    ("GET", "/api/v1/dq/breaches"): "viewer",
    ("PATCH", "/api/v1/dq/breaches/{breach_id}"): "editor",
    ("POST", "/api/v1/dq/runs"): "editor",
    ("GET", "/api/v1/notifications/channels"): "viewer",
    ("POST", "/api/v1/notifications/channels"): "admin",
    ("POST", "/api/v1/notifications/channels/{channel_id}/test"): "admin",
    ("POST", "/api/v1/notifications/rules"): "editor",
    ("POST", "/api/v1/schedules"): "editor",
    ("POST", "/api/v1/schedules/{schedule_id}/run"): "editor",
    ("GET", "/api/v1/classification/objects/{ref}"): "viewer",
    ("PUT", "/api/v1/classification/objects/{ref}"): "steward",
    ("POST", "/api/v1/classification/rules/apply"): "steward",
    ("GET", "/api/v1/ownership/my-objects"): "viewer",
    ("GET", "/api/v1/ownership/objects/{ref}"): "viewer",
    ("POST", "/api/v1/ownership/objects/{ref}"): "steward",
    ("DELETE", "/api/v1/ownership/objects/{ref}/{user}"): "steward",
    ("GET", "/api/v1/ownership/domains"): "viewer",
    ("POST", "/api/v1/ownership/domains"): "steward",
    ("PATCH", "/api/v1/ownership/domains/{domain}"): "steward",
    ("DELETE", "/api/v1/ownership/domains/{domain}"): "steward",
    ("POST", "/api/v1/ownership/domains/{domain}/objects/{ref}"): "steward",
    ("GET", "/api/v1/capsules/{urn}/policies"): "viewer",
    ("POST", "/api/v1/capsules/{urn}/policies"): "steward",
    ("GET", "/api/v1/policies"): "viewer",
    ("GET", "/api/v1/policies/{policy_id}"): "viewer",
    ("PATCH", "/api/v1/policies/{policy_id}"): "steward",
    ("DELETE", "/api/v1/policies/{policy_id}"): "steward",
    ("GET", "/api/v1/columns/{urn}/masking-rules"): "viewer",
    ("POST", "/api/v1/columns/{urn}/masking-rules"): "steward",
    ("GET", "/api/v1/masking-rules"): "viewer",
    ("GET", "/api/v1/masking-rules/{rule_id}"): "viewer",
    ("PATCH", "/api/v1/masking-rules/{rule_id}"): "steward",
    ("DELETE", "/api/v1/masking-rules/{rule_id}"): "steward",
    ("GET", "/api/v1/capsules/{urn}/masking-sql"): "viewer",
    ("GET", "/api/v1/capsules/{urn}/quality-rules"): "viewer",
    ("POST", "/api/v1/capsules/{urn}/quality-rules"): "editor",
    ("GET", "/api/v1/quality-rules/{rule_id}"): "viewer",
    ("PATCH", "/api/v1/quality-rules/{rule_id}"): "editor",
    ("DELETE", "/api/v1/quality-rules/{rule_id}"): "editor",
    ("GET", "/api/v1/capsules/{urn}/quality-rules/suggestions"): "viewer",
    ("POST", "/api/v1/capsules/{urn}/quality-rules/suggestions/accept"): "editor",
    ("POST", "/api/v1/quality-checks"): "editor",
    ("GET", "/api/v1/quality-checks"): "viewer",
    ("GET", "/api/v1/quality-checks/{run_id}"): "viewer",
    ("GET", "/api/v1/capsules/{urn}/quality-score"): "viewer",
    ("GET", "/api/v1/columns/{urn}/profile"): "viewer",
    ("GET", "/api/v1/columns/{urn}/profile/history"): "viewer",
    ("POST", "/api/v1/columns/{urn}/profile"): "editor",
    ("GET", "/api/v1/capsules/{urn}/profile"): "viewer",
    ("POST", "/api/v1/capsules/{urn}/profile"): "editor",
    ("GET", "/api/v1/profile-runs/{run_id}"): "viewer",
    ("GET", "/api/v1/business-terms"): "viewer",
    ("POST", "/api/v1/business-terms"): "editor",
    ("PATCH", "/api/v1/business-terms/{term}"): "editor",
    ("POST", "/api/v1/business-terms/{term}/propose"): "editor",
    ("POST", "/api/v1/business-terms/{term}/approve"): "steward",
    ("POST", "/api/v1/business-terms/{term}/reject"): "steward",
    ("POST", "/api/v1/business-terms/{term}/deprecate"): "steward",
    ("DELETE", "/api/v1/business-terms/{term}"): "steward",
    ("POST", "/api/v1/business-terms/import"): "steward",
    ("GET", "/api/v1/business-terms/export"): "viewer",
    ("GET", "/api/v1/capsules/{urn}/business-terms"): "viewer",
    ("POST", "/api/v1/capsules/{urn}/business-terms/{term_id}"): "editor",
    ("DELETE", "/api/v1/capsules/{urn}/business-terms/{term_id}"): "editor",
    ("GET", "/api/v1/capsules/{urn}/columns/{column}"): "viewer",
    ("PATCH", "/api/v1/capsules/{urn}/columns/{column}"): "editor",
    ("GET", "/api/v1/capsules/{urn}/yaml"): "viewer",
    ("POST", "/api/v1/capsules/{urn}/yaml"): "editor",
    ("GET", "/api/v1/value-domains"): "viewer",
    ("POST", "/api/v1/value-domains"): "editor",
    ("PATCH", "/api/v1/value-domains/{name}"): "editor",
    ("DELETE", "/api/v1/value-domains/{name}"): "editor",
}


async def _routes(secured: Secured) -> list[tuple[str, str]]:
    async with httpx.AsyncClient(base_url=secured.stack.gateway_url, timeout=30) as http:
        spec = (await http.get("/openapi.json")).json()
    return sorted(
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    )


def _url(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: DUMMY.get(m.group(1), "zz-missing"), template)


async def _call(http: httpx.AsyncClient, method: str, template: str) -> httpx.Response:
    """Call a route of the OpenAPI document (an absolute path, whatever the client's base)."""
    kwargs: dict[str, Any] = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
    root = f"{http.base_url.scheme}://{http.base_url.netloc.decode()}"
    return await http.request(method, root + _url(template), **kwargs)


async def test_no_route_is_reachable_anonymously_except_health_metrics_login(
    secured: Secured,
) -> None:
    routes = await _routes(secured)
    assert ("PATCH", "/api/v1/objects/{ref}") in routes and ("GET", "/health") in routes
    async with httpx.AsyncClient(base_url=secured.stack.gateway_url, timeout=30) as anon:
        for method, template in routes:
            resp = await _call(anon, method, template)
            if template in PUBLIC:
                assert resp.status_code != 401, (method, template)
            else:
                assert resp.status_code == 401, (method, template, resp.status_code)
                assert resp.headers["www-authenticate"] == "Bearer"
                assert resp.json()["error"]["code"] == "UNAUTHENTICATED"
        # /docs and the OpenAPI document itself stay public.
        assert (await anon.get("/docs")).status_code == 200
        assert (await anon.get("/openapi.json")).status_code == 200


async def test_role_matrix_on_every_route(secured: Secured) -> None:
    routes = await _routes(secured)
    for (method, template), role in EXPECTED.items():
        assert (method, template) in routes, (method, template)
        assert required_role(method, template) == role, (method, template)
    for role in ROLES:
        async with secured.as_role(role) as http:
            for method, template in routes:
                if template in PUBLIC:
                    continue
                resp = await _call(http, method, template)
                needed = required_role(method, template)
                if allows(role, needed):
                    assert resp.status_code not in (401, 403), (role, method, template, resp.text)
                else:
                    assert resp.status_code == 403, (role, method, template, resp.status_code)
                    body = resp.json()["error"]
                    assert body["code"] == "PERMISSION_DENIED" and needed in body["message"]


async def test_viewer_cannot_change_anything(secured: Secured) -> None:
    conn = secured.stack.connection()
    async with secured.client() as admin:
        resp = await admin.post(
            "/sources",
            json={
                "name": "vshop",
                "source_type": "postgres",
                "connection": conn,
            },
        )
        assert resp.status_code == 201, resp.text
    async with secured.as_role("viewer") as viewer:
        assert (await viewer.get("/sources/vshop")).status_code == 200
        attempts = [
            viewer.patch("/sources/vshop", json={"description": "mine now"}),
            viewer.delete("/sources/vshop"),
            viewer.post("/sources/vshop/scans"),
            viewer.patch("/objects/vshop.sales.orders", json={"description": "x"}),
            viewer.post("/auth/users", json={"username": "x1", "password": PASSWORD}),
            viewer.patch("/auth/users/viewer-user", json={"role": "admin"}),
        ]
        for attempt in attempts:
            assert (await attempt).status_code == 403
        source = (await viewer.get("/sources/vshop")).json()
        assert source["description"] == "" and source["last_scan"] is None
        assert (await viewer.get("/auth/me")).json()["role"] == "viewer"


async def test_login_me_refresh_and_wrong_password(secured: Secured) -> None:
    async with secured.client(None) as anon:
        resp = await anon.post("/auth/login", json={"username": "editor-user", "password": "nope"})
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "UNAUTHENTICATED"
        resp = await anon.post("/auth/login", json={"username": "editor-user"})
        assert resp.status_code == 400
        resp = await anon.post(
            "/auth/login", json={"username": "editor-user", "password": PASSWORD}
        )
        assert resp.status_code == 200, resp.text
        tokens = resp.json()
        assert tokens["token_type"] == "bearer" and tokens["user"]["role"] == "editor"
        me = await anon.get(
            "/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert me.json() == {"username": "editor-user", "role": "editor", "method": "jwt"}
        # A refresh token is not an access token.
        bad = await anon.get(
            "/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
        )
        assert bad.status_code == 401
        again = await anon.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert again.status_code == 200
        me = await anon.get(
            "/auth/me", headers={"Authorization": f"Bearer {again.json()['access_token']}"}
        )
        assert me.json()["username"] == "editor-user"
        bad = await anon.post("/auth/refresh", json={"refresh_token": "garbage"})
        assert bad.status_code == 401


async def test_cli_keeps_and_refreshes_its_login(secured: Secured, tmp_path: Path) -> None:
    """`datacompass auth login` saves the tokens (0600); later commands use them without
    DATACOMPASS_TOKEN, refresh an access token the gateway refuses, and `logout` forgets."""
    creds = tmp_path / "cfg" / "credentials.json"

    async def cli(*args: str) -> Result:
        env = {
            "DATACOMPASS_TOKEN": "",
            "DATACOMPASS_BOOTSTRAP_ADMIN_KEY": "",
            config.CREDENTIALS_FILE_ENV: str(creds),
        }
        argv = ["--url", secured.stack.gateway_url, *args]
        return await asyncio.to_thread(CliRunner().invoke, cli_app, argv, env=env)

    login = await cli("auth", "login", "-u", "steward-user", "--password", PASSWORD)
    assert login.exit_code == 0, login.output
    assert login.stdout.startswith("export DATACOMPASS_TOKEN=")
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o600
    who = await cli("--format", "json", "auth", "whoami")
    assert who.exit_code == 0, who.output
    assert json.loads(who.stdout) == {
        "username": "steward-user",
        "role": "steward",
        "method": "jwt",
    }

    # An access token the gateway refuses (as an expired one would be): refreshed once, saved.
    base = f"{secured.stack.gateway_url}/api/v1"
    stored = config.load(base, creds)
    assert stored is not None and stored.refresh_token
    stored.access_token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.invalid"
    config.save(stored, creds)
    listed = await cli("--format", "json", "audit", "log", "--limit", "1")
    assert listed.exit_code == 0, listed.output
    refreshed = config.load(base, creds)
    assert refreshed is not None and refreshed.access_token != stored.access_token
    async with secured.client(refreshed.access_token) as http:
        assert (await http.get("/auth/me")).json()["username"] == "steward-user"

    # A refresh token that no longer works: a clear error telling to log in again.
    refreshed.access_token, refreshed.refresh_token = stored.access_token, "x.y.z"
    config.save(refreshed, creds)
    expired = await cli("auth", "whoami")
    assert expired.exit_code == 1 and "auth login" in expired.stderr

    assert (await cli("auth", "logout")).exit_code == 0 and not creds.exists()
    anonymous = await cli("auth", "whoami")
    assert anonymous.exit_code == 1 and "UNAUTHENTICATED" in anonymous.stderr


async def test_wrong_expired_and_revoked_keys(secured: Secured) -> None:
    for header in ("Bearer wrong", "Bearer dck_0000_nothing", "Basic abc", ADMIN_KEY):
        async with secured.client(None, Authorization=header) as http:
            resp = await http.get("/objects")
            assert resp.status_code == 401, header
            assert resp.headers["www-authenticate"] == "Bearer"

    async with secured.as_role("editor") as editor:
        created = (await editor.post("/auth/api-keys", json={"name": "short-lived"})).json()
        assert created["user"] == "editor-user" and created["key"].startswith(created["prefix"])
        listed = (await editor.get("/auth/api-keys")).json()["items"]
        assert {k["user"] for k in listed} == {"editor-user"}  # own keys only
        assert all("key" not in k for k in listed)  # the secret is shown once
        # Not yours to manage.
        other = await editor.post("/auth/api-keys", json={"name": "x", "user": "admin-user"})
        assert other.status_code == 403
        assert (
            await editor.get("/auth/api-keys", params={"user": "admin-user"})
        ).status_code == 403

    async with secured.client(created["key"]) as http:
        assert (await http.get("/objects")).status_code == 200
        # Expired: the gateway's cache holds a success at most AUTH_CACHE_SECONDS.
        await sql(
            secured.governance_database,
            f"UPDATE governance.api_keys SET expires_at = now() WHERE id = {created['id']}",
        )

        resp = await eventually(refused_with(http), within=5)
        assert resp.json()["error"]["message"] == "API key expired"

    async with secured.as_role("steward") as steward:
        key = (await steward.post("/auth/api-keys", json={"name": "to revoke"})).json()
    async with secured.client(key["key"]) as http:
        assert (await http.get("/objects")).status_code == 200
        async with secured.as_role("editor") as editor:  # someone else's key: not found
            assert (await editor.delete(f"/auth/api-keys/{key['id']}")).status_code == 404
        revoked = await http.delete(f"/auth/api-keys/{key['id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        resp = await eventually(refused_with(http), within=5)  # revocation within seconds
        assert resp.json()["error"]["message"] == "API key revoked"
    async with secured.as_role("steward") as steward:
        assert (await steward.get("/auth/me")).status_code == 200  # their other key still works


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused_with(http: httpx.AsyncClient) -> Any:
    async def probe() -> httpx.Response | None:
        resp = await http.get("/objects")
        return resp if resp.status_code == 401 else None

    return probe


async def test_caller_becomes_the_actor(secured: Secured) -> None:
    conn = secured.stack.connection()
    async with secured.client() as admin:
        resp = await admin.post(
            "/sources",
            json={
                "name": "ashop",
                "source_type": "postgres",
                "connection": conn,
            },
        )
        assert resp.status_code == 201, resp.text
    async with secured.as_role("editor") as editor:
        run = await editor.post("/sources/ashop/scans", params={"wait": "true"})
        assert run.status_code == 201, run.text
        assert run.json()["triggered_by"] == "editor-user"


async def _client_ip_seen(settings: GatewaySettings, forwarded_for: str) -> str:
    """The client address the gateway's ASGI app (and so its request context and audit
    records) gets from uvicorn run with the gateway's options, for a request from 127.0.0.1
    carrying `X-Forwarded-For`."""
    seen: list[str] = []

    async def probe(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        seen.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    options = {**server_options(settings), "log_level": "warning", "lifespan": "off"}
    server = uvicorn.Server(uvicorn.Config(probe, **options))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("server exited during startup")
                await asyncio.sleep(0.02)
        url = f"http://{settings.host}:{settings.port}/"
        async with httpx.AsyncClient() as http:
            resp = await http.get(url, headers={"X-Forwarded-For": forwarded_for})
            assert resp.status_code == 204
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
    return seen[0]


@pytest.mark.stack  # starts a gateway
async def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    def settings(**overrides: Any) -> GatewaySettings:
        return GatewaySettings(host="127.0.0.1", port=free_port(), **overrides)

    assert GatewaySettings().forwarded_allow_ips == "127.0.0.1"
    # The peer (127.0.0.1) is the trusted proxy by default: the client is the forwarded one.
    assert await _client_ip_seen(settings(), "203.0.113.7") == "203.0.113.7"
    # A peer that is not a trusted proxy cannot choose the IP the audit trail records.
    untrusted = settings(forwarded_allow_ips="10.0.0.0/8")
    assert await _client_ip_seen(untrusted, "203.0.113.7") == "127.0.0.1"

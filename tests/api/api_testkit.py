"""Cross-service REST test fixtures and helpers: every service (in-process, real PostgreSQL +
NATS) and a real gateway (uvicorn on a free port) started ONCE per pytest session (per xdist
worker), with one user and API key per role created once. Every test module sees that stack
with a data-source database of its own (`stack`), and names its sources, users and other
global things uniquely (its `SHOP` is the name of the source the `shop` fixture scans), so
modules and tests never depend on each other's data or on global counts."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from catalog_service.app import running
from catalog_service.config import CatalogSettings
from dckit.crypto import SecretBox
from devstack.databases import SourceDatabases, sql_build
from devstack.embedded import free_port
from devstack.testing import execute as admin
from devstack.testing import (
    scratch_database,
    serve_asgi,
    starts_stack,
    temporary_database,
    temporary_stream,
    unreachable,
)
from devstack.urls import database_of, postgres_connection, with_database
from gateway_service.app import create_app
from gateway_service.config import GatewaySettings
from gateway_service.core.authz import ROLES
from governance_service.app import running as governance_running
from governance_service.config import GovernanceSettings
from notifier_service.app import running as notifier_running
from notifier_service.config import NotifierSettings
from quality_service.app import running as quality_running
from quality_service.config import QualitySettings
from scheduler_service.app import running as scheduler_running
from scheduler_service.config import SchedulerSettings

ADMIN_KEY = "test-bootstrap-admin-key"
PASSWORD = "Sup3r-S3cret-Pa55word!"  # of the source databases' owner
USER_PASSWORD = "a password long enough"  # of the users per role
AUTH_CACHE_SECONDS = 0.5  # short, so a revoked key or disabled user is refused soon

SOURCE_SQL = """
CREATE SCHEMA sales;
CREATE TABLE sales.customers (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    name varchar(100)
);
COMMENT ON TABLE sales.customers IS 'People who buy things';
CREATE TABLE sales.orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES sales.customers (id),
    amount numeric(12, 2) NOT NULL DEFAULT 0,
    note text
);
COMMENT ON TABLE sales.orders IS 'Customer orders';
COMMENT ON COLUMN sales.orders.amount IS 'Order total';
CREATE VIEW sales."big.orders" AS SELECT id, amount FROM sales.orders WHERE amount > 100;
"""


@dataclass
class Stack:
    gateway_url: str
    catalog_addr: str
    database_url: str
    nats_url: str
    source_database: str
    quality_addr: str = ""
    governance_addr: str = ""
    scheduler_addr: str = ""
    notifier_addr: str = ""
    services_database: str = ""  # URL of the database the services keep their schemas in

    def connection(self, **overrides: Any) -> dict[str, Any]:
        url = with_database(self.database_url, self.source_database)
        defaults: dict[str, Any] = {"connect_timeout_seconds": 3}
        if not urlsplit(url).password:
            defaults["password"] = PASSWORD
        return postgres_connection(url, **{**defaults, **overrides})

    def gateway_settings(self, **overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": free_port(),
            "catalog_addr": self.catalog_addr,
            # A service this stack does not run gets an address of its own where nothing
            # listens (its routes answer 503), never the default one where `make run` may be.
            "quality_addr": self.quality_addr or unreachable(),
            "governance_addr": self.governance_addr or unreachable(),
            "scheduler_addr": self.scheduler_addr or unreachable(),
            "notifier_addr": self.notifier_addr or unreachable(),
            "database_url": self.database_url,
            "nats_url": self.nats_url,
            "bootstrap_admin_key": ADMIN_KEY,
            # A loaded CI machine can take over the 1 s default; a test of a slow dimension
            # overrides it.
            "capsule_call_timeout_seconds": 10.0,
        }
        values.update(overrides)
        return GatewaySettings(**values)


@contextlib.asynccontextmanager
async def serve(settings: GatewaySettings, app: FastAPI | None = None) -> AsyncIterator[str]:
    """A real uvicorn server running the gateway (or `app`); yields its base URL."""
    async with serve_asgi(app or create_app(settings), settings.host, settings.port) as url:
        yield url


@contextlib.asynccontextmanager
async def start_stack(
    database_server_url: str, service_template: str, nats_url: str, **gateway_overrides: Any
) -> AsyncIterator[Stack]:
    """Every service in this process (one database, own schemas; one stream, so governance
    hears every service's audit records) and a real gateway in front of them."""
    async with (
        temporary_database(database_server_url, "dc_api", service_template) as database_url,
        temporary_stream(nats_url) as (stream, prefix),
    ):
        shared: dict[str, Any] = {
            "database_url": database_url,
            "nats_url": nats_url,
            "nats_stream": stream,
            "event_subject_prefix": prefix,
            "metrics_port": 0,
            "shutdown_grace_seconds": 3,
        }
        # The catalog reaches quality (capsule as code), which starts after it.
        quality_port = free_port()
        catalog_settings = CatalogSettings(
            **shared,
            grpc_port=free_port(),
            encryption_key=SecretBox.generate_key(),
            quality_addr=f"127.0.0.1:{quality_port}",
        )
        async with running(catalog_settings) as catalog:
            catalog_addr = f"127.0.0.1:{catalog.grpc.bound_port}"
            # Quality masks sample values through governance, which starts after it.
            governance_port = free_port()
            quality_settings = QualitySettings(
                **shared,
                grpc_port=quality_port,
                catalog_addr=catalog_addr,
                governance_addr=f"127.0.0.1:{governance_port}",
            )
            governance_settings = GovernanceSettings(
                **shared,
                grpc_port=governance_port,
                jwt_secret="gateway-test-jwt-0123456789abcdef",
                catalog_addr=catalog_addr,
            )
            async with quality_running(quality_settings) as quality:
                scheduler_settings = SchedulerSettings(
                    **shared,
                    grpc_port=free_port(),
                    catalog_addr=catalog_addr,
                    quality_addr=f"127.0.0.1:{quality.grpc.bound_port}",
                    poll_interval_seconds=0.5,
                )
                notifier_settings = NotifierSettings(
                    **shared,
                    grpc_port=free_port(),
                    encryption_key=SecretBox.generate_key(),
                    slack_allowed_hosts=["127.0.0.1"],
                    allow_loopback_targets=True,  # the sinks listen on 127.0.0.1
                    poll_seconds=0.2,
                )
                async with (
                    governance_running(governance_settings) as governance,
                    scheduler_running(scheduler_settings) as scheduler,
                    notifier_running(notifier_settings) as notifier,
                ):
                    stack = Stack(
                        gateway_url="",
                        catalog_addr=catalog_addr,
                        database_url=database_server_url,
                        nats_url=nats_url,
                        source_database="",  # each module's own (the `stack` fixture)
                        quality_addr=f"127.0.0.1:{quality.grpc.bound_port}",
                        governance_addr=f"127.0.0.1:{governance.grpc.bound_port}",
                        scheduler_addr=f"127.0.0.1:{scheduler.grpc.bound_port}",
                        notifier_addr=f"127.0.0.1:{notifier.grpc.bound_port}",
                        services_database=database_url,
                    )
                    async with serve(stack.gateway_settings(**gateway_overrides)) as url:
                        stack.gateway_url = url
                        yield stack


@dataclass
class Secured:
    """The session stack (as this module sees it) and an API key per role (`<role>-user`)."""

    stack: Stack
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def governance_addr(self) -> str:
        return self.stack.governance_addr

    @property
    def governance_database(self) -> str:
        return self.stack.services_database

    @property
    def api(self) -> str:
        return f"{self.stack.gateway_url}/api/v1"

    def client(self, token: str | None = ADMIN_KEY, **headers: str) -> httpx.AsyncClient:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(base_url=self.api, headers=headers, timeout=30)

    def as_role(self, role: str) -> httpx.AsyncClient:
        return self.client(self.keys[role])


@pytest_asyncio.fixture(scope="session", loop_scope="session")
@starts_stack
async def session_secured(
    database_server_url: str, service_template: str, nats_url: str
) -> AsyncIterator[Secured]:
    """The one stack of this session (of this xdist worker) and a user + API key per role."""
    async with start_stack(
        database_server_url, service_template, nats_url, auth_cache_seconds=AUTH_CACHE_SECONDS
    ) as stack:
        secured = Secured(stack)
        async with secured.client() as http:
            for role in ROLES:
                resp = await http.post(
                    "/auth/users",
                    json={"username": f"{role}-user", "password": USER_PASSWORD, "role": role},
                )
                assert resp.status_code == 201, resp.text
                resp = await http.post(
                    "/auth/api-keys", json={"name": "tests", "user": f"{role}-user"}
                )
                assert resp.status_code == 201, resp.text
                secured.keys[role] = resp.json()["key"]
        yield secured


@pytest_asyncio.fixture(scope="module", loop_scope="session")
@starts_stack
async def stack(
    session_secured: Secured, source_databases: SourceDatabases
) -> AsyncIterator[Stack]:
    """The session stack, with a copy of the `sales` source database of this module's own."""
    async with source_databases.private("api", sql_build(SOURCE_SQL)) as source_url:
        yield replace(session_secured.stack, source_database=database_of(source_url))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def secured(session_secured: Secured, stack: Stack) -> Secured:
    return Secured(stack, dict(session_secured.keys))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """Client of the session's gateway as the bootstrap admin (base URL `/api/v1`)."""
    async with httpx.AsyncClient(
        base_url=f"{stack.gateway_url}/api/v1",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        timeout=30,
    ) as http:
        yield http


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def shop(
    request: pytest.FixtureRequest, stack: Stack, client: httpx.AsyncClient
) -> dict[str, Any]:
    """Source `SHOP` (named by the test module) on the module's database, created and scanned
    once (with wait); returns the finished ScanRun."""
    name = request.module.SHOP
    resp = await client.post(
        "/sources",
        json={"name": name, "source_type": "postgres", "connection": stack.connection()},
    )
    assert resp.status_code == 201, resp.text
    resp = await client.post(f"/sources/{name}/scans", params={"wait": "true"})
    assert resp.status_code == 201, resp.text
    run: dict[str, Any] = resp.json()
    return run


_numbers = itertools.count(1)


def unique(name: str) -> str:
    """`name` with a number no other call in this session got (a source of one test's own)."""
    return f"{name}{next(_numbers)}"


async def add_source(client: httpx.AsyncClient, source: str, database_url: str) -> None:
    """Source `source` on the database at `database_url`, created and scanned."""
    conn = postgres_connection(database_url, connect_timeout_seconds=3)
    body = {"name": source, "source_type": "postgres", "connection": conn}
    resp = await client.post("/sources", json=body)
    assert resp.status_code == 201, resp.text
    resp = await client.post(f"/sources/{source}/scans", params={"wait": "true"})
    assert resp.status_code == 201, resp.text


@contextlib.asynccontextmanager
async def table_source(
    stack: Stack, client: httpx.AsyncClient, source: str, sql: str
) -> AsyncIterator[str]:
    """Source `source` on a scratch database set up with `sql`, scanned; yields the database's
    URL (more sources can be added on it, one per test, with `add_source`)."""
    async with scratch_database(stack.database_url, sql, f"dc_api_{source}") as url:
        await add_source(client, source, url)
        yield url


def visits_sql(days: int, spike: int) -> str:
    """`public.visits`: 30 rows a day for `days` days through yesterday, ten times as many on
    day `spike` (3 NULL pages a day, 30 that day)."""
    first = datetime.now(UTC).date() - timedelta(days=days)
    return (
        "CREATE TABLE public.visits (id bigserial PRIMARY KEY, at timestamptz NOT NULL,"
        " page text, ms integer);"
        "INSERT INTO public.visits (at, page, ms) "
        f"SELECT DATE '{first}' + d * interval '1 day' + g * interval '1 minute',"
        " CASE WHEN g % 10 = 0 THEN NULL ELSE 'p' || g END, g * 10 "
        f"FROM generate_series(0, {days - 1}) d, "
        f"LATERAL generate_series(1, CASE WHEN d = {spike} THEN 300 ELSE 30 END) g"
    )


@contextlib.asynccontextmanager
async def visits_source(
    stack: Stack, client: httpx.AsyncClient, source: str, days: int, spike: int
) -> AsyncIterator[str]:
    """Source `source` with `public.visits` (`visits_sql`), scanned. Yields the object ref."""
    async with table_source(stack, client, source, visits_sql(days, spike)):
        yield f"{source}.public.visits"


async def cli(stack: Stack, *args: str) -> Any:
    """The real `datacompass` CLI, as the bootstrap admin, in a thread (it is synchronous and
    the gateway serves on this event loop)."""
    from typer.testing import CliRunner

    from datacompass_cli.main import app

    argv = ["--url", stack.gateway_url, *args]
    return await asyncio.to_thread(
        CliRunner().invoke, app, argv, env={"DATACOMPASS_TOKEN": ADMIN_KEY}
    )


async def sql(url: str, query: str) -> None:
    await admin(url, query)


@contextlib.asynccontextmanager
async def user_client(
    client: httpx.AsyncClient, username: str, role: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in with the API key of a new user `username` (unique on the session
    stack: one module's) with `role`."""
    resp = await client.post(
        "/auth/users", json={"username": username, "password": USER_PASSWORD, "role": role}
    )
    assert resp.status_code == 201, resp.text
    resp = await client.post("/auth/api-keys", json={"name": "tests", "user": username})
    assert resp.status_code == 201, resp.text
    headers = {"Authorization": f"Bearer {resp.json()['key']}"}
    async with httpx.AsyncClient(
        base_url=str(client.base_url), headers=headers, timeout=30
    ) as http:
        yield http

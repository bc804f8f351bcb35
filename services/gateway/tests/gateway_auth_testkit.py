"""A secured stack for the auth/audit suites: catalog + governance in-process (one NATS stream
and subject prefix, so governance consumes catalog's audit records) + the real gateway, plus
one user and API key per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest_asyncio
from gateway_testkit import ADMIN_KEY, SOURCE_SQL, Stack, serve

from catalog_service.app import running as catalog_running
from catalog_service.config import CatalogSettings
from dckit.crypto import SecretBox
from devstack.databases import SourceDatabases, sql_build
from devstack.embedded import free_port
from devstack.testing import execute as admin
from devstack.testing import starts_stack, temporary_database, temporary_stream
from devstack.urls import database_of
from gateway_service.authz import ROLES
from governance_service.app import running as governance_running
from governance_service.config import GovernanceSettings

T = TypeVar("T")
PASSWORD = "a password long enough"
AUTH_CACHE_SECONDS = 0.5


@dataclass
class Secured:
    stack: Stack
    governance_addr: str
    governance_database: str
    keys: dict[str, str] = field(default_factory=dict)  # role → API key of user "<role>-user"

    @property
    def api(self) -> str:
        return f"{self.stack.gateway_url}/api/v1"

    def client(self, token: str | None = ADMIN_KEY, **headers: str) -> httpx.AsyncClient:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.AsyncClient(base_url=self.api, headers=headers, timeout=30)

    def as_role(self, role: str) -> httpx.AsyncClient:
        return self.client(self.keys[role])


async def sql(url: str, query: str) -> None:
    await admin(url, query)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
@starts_stack
async def secured(
    database_server_url: str,
    service_template: str,
    source_databases: SourceDatabases,
    nats_url: str,
) -> AsyncIterator[Secured]:
    async with (
        temporary_database(database_server_url, "dc_gwa", service_template) as catalog_db,
        temporary_database(database_server_url, "dc_gwa", service_template) as governance_db,
        source_databases.private("gateway", sql_build(SOURCE_SQL)) as source_url,
        temporary_stream(nats_url) as (stream, prefix),
    ):
        shared: dict[str, Any] = {
            "nats_url": nats_url,
            "nats_stream": stream,
            "event_subject_prefix": prefix,
            "metrics_port": 0,
            "shutdown_grace_seconds": 3,
        }
        catalog_settings = CatalogSettings(
            database_url=catalog_db,
            grpc_port=free_port(),
            encryption_key=SecretBox.generate_key(),
            **shared,
        )
        governance_settings = GovernanceSettings(
            database_url=governance_db,
            grpc_port=free_port(),
            jwt_secret="gateway-test-jwt-secret-0123456789abcdef",
            # Object rights (owners, stewards) resolve objects through the catalog.
            catalog_addr=f"127.0.0.1:{catalog_settings.grpc_port}",
            **shared,
        )
        async with (
            catalog_running(catalog_settings) as catalog,
            governance_running(governance_settings) as governance,
        ):
            stack = Stack(
                gateway_url="",
                catalog_addr=f"127.0.0.1:{catalog.grpc.bound_port}",
                database_url=database_server_url,
                nats_url=nats_url,
                source_database=database_of(source_url),
            )
            governance_addr = f"127.0.0.1:{governance.grpc.bound_port}"
            settings = stack.gateway_settings(
                governance_addr=governance_addr, auth_cache_seconds=AUTH_CACHE_SECONDS
            )
            async with serve(settings) as url:
                stack.gateway_url = url
                secured = Secured(stack, governance_addr, governance_db)
                async with secured.client() as http:
                    for role in ROLES:
                        resp = await http.post(
                            "/auth/users",
                            json={"username": f"{role}-user", "password": PASSWORD, "role": role},
                        )
                        assert resp.status_code == 201, resp.text
                        resp = await http.post(
                            "/auth/api-keys", json={"name": "tests", "user": f"{role}-user"}
                        )
                        assert resp.status_code == 201, resp.text
                        secured.keys[role] = resp.json()["key"]
                yield secured

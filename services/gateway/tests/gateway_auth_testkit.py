"""A secured stack for the auth/audit suites: the gateway stack (every service, one NATS stream
and subject prefix, so governance consumes every service's audit records) with a short
authentication cache, plus one user and API key per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
import pytest_asyncio
from gateway_testkit import ADMIN_KEY, Stack, start_stack

from devstack.databases import SourceDatabases
from devstack.testing import execute as admin
from devstack.testing import starts_stack
from gateway_service.core.authz import ROLES

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
    async with start_stack(
        database_server_url,
        service_template,
        source_databases,
        nats_url,
        auth_cache_seconds=AUTH_CACHE_SECONDS,
    ) as stack:
        secured = Secured(stack, stack.governance_addr, stack.services_database)
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

"""Fixtures and helpers for the governance suite: the whole service in-process against real
PostgreSQL and NATS, a gRPC stub that carries the internal credential, and polling helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import pytest_asyncio
from google.protobuf import struct_pb2

from catalog_service.app import running as catalog_running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.governance.v1 import governance_pb2 as pb
from datacompass.governance.v1 import governance_pb2_grpc
from dckit.crypto import SecretBox
from dckit.grpc_client import channel
from devstack.databases import SourceDatabases, sql_build
from devstack.embedded import free_port as find_free_port
from devstack.testing import starts_stack
from devstack.urls import plain, postgres_connection
from governance_service.app import GovernanceService, running
from governance_service.config import GovernanceSettings

T = TypeVar("T")
PASSWORD = "correct horse battery staple"


def settings_for(
    database_url: str, nats_url: str, stream: str, prefix: str, **overrides: Any
) -> GovernanceSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "nats_stream": stream,
        "event_subject_prefix": prefix,
        "grpc_port": 0,
        "metrics_port": 0,
        "shutdown_grace_seconds": 2,
        "jwt_secret": "test-jwt-secret-0123456789abcdef",
        **overrides,
    }
    return GovernanceSettings(**values)


@dataclass
class Governance:
    service: GovernanceService
    stub: governance_pb2_grpc.GovernanceServiceStub
    database_url: str

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.service.grpc.bound_port}"

    async def create_user(self, username: str, role: str = "viewer") -> pb.User:
        return await self.stub.CreateUser(
            pb.CreateUserRequest(username=username, password=PASSWORD, role=role)
        )

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(plain(self.database_url))
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def audit_rows(self, action: str) -> list[asyncpg.Record]:
        return await self.sql(
            "SELECT * FROM governance.audit_events WHERE action = $1 ORDER BY id", action
        )


@pytest_asyncio.fixture
@starts_stack
async def governance(
    service_database: str, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> AsyncIterator[Governance]:
    settings = settings_for(service_database, nats_url, nats_stream, event_subject_prefix)
    async with running(settings) as service:
        chan = channel(f"127.0.0.1:{service.grpc.bound_port}", max_attempts=1)
        try:
            stub = governance_pb2_grpc.GovernanceServiceStub(chan)
            yield Governance(service, stub, service_database)
        finally:
            await chan.close()


# ---------------------------------------------------------------- with a catalog

SOURCE = "demo"
SOURCE_SQL = """
CREATE TABLE public.customers (
    id bigint PRIMARY KEY, email text, ssn text, phone text, name text
);
CREATE SCHEMA finance;
CREATE TABLE finance.invoices (id bigint PRIMARY KEY, amount numeric(12, 2));
CREATE TABLE public.products (id bigint PRIMARY KEY, title text);
"""


@dataclass
class Catalogued(Governance):
    catalog: catalog_pb2_grpc.CatalogServiceStub
    source_url: str

    async def scan(self, source: str = SOURCE) -> None:
        await self.catalog.StartScan(cpb.StartScanRequest(source_name=source, wait=True))

    async def add_source(self, name: str, url: str) -> None:
        connection = struct_pb2.Struct()
        connection.update(postgres_connection(url, connect_timeout_seconds=5))
        await self.catalog.CreateSource(
            cpb.CreateSourceRequest(name=name, source_type="postgres", connection=connection)
        )


@pytest_asyncio.fixture
@starts_stack
async def catalogued(
    source_databases: SourceDatabases,
    service_database: str,
    nats_url: str,
    nats_stream: str,
    event_subject_prefix: str,
) -> AsyncIterator[Catalogued]:
    """Governance and a real catalog (same database, own schemas) with source `demo` created
    but not scanned yet (a copy of the source of this test's own: some tests change it)."""
    async with source_databases.private("governance", sql_build(SOURCE_SQL)) as source_url:
        catalog_settings = CatalogSettings(
            database_url=service_database,
            nats_url=nats_url,
            nats_stream=nats_stream,
            event_subject_prefix=event_subject_prefix,
            grpc_port=find_free_port(),
            metrics_port=0,
            shutdown_grace_seconds=3,
            encryption_key=SecretBox.generate_key(),
        )
        async with catalog_running(catalog_settings) as catalog:
            catalog_addr = f"127.0.0.1:{catalog.grpc.bound_port}"
            settings = settings_for(
                service_database, nats_url, nats_stream, event_subject_prefix,
                catalog_addr=catalog_addr,
            )  # fmt: skip
            async with running(settings) as service:
                gchan = channel(f"127.0.0.1:{service.grpc.bound_port}", max_attempts=1)
                cchan = channel(catalog_addr, max_attempts=1)
                try:
                    stack = Catalogued(
                        service,
                        governance_pb2_grpc.GovernanceServiceStub(gchan),
                        service_database,
                        catalog_pb2_grpc.CatalogServiceStub(cchan),
                        source_url,
                    )
                    await stack.add_source(SOURCE, source_url)
                    yield stack
                finally:
                    await gchan.close()
                    await cchan.close()

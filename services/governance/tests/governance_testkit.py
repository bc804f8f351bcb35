"""Fixtures and helpers for the governance suite: the whole service in-process against real
PostgreSQL and NATS, a gRPC stub that carries the internal credential, and polling helpers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import pytest_asyncio

from datacompass.governance.v1 import governance_pb2 as pb
from datacompass.governance.v1 import governance_pb2_grpc
from dckit.grpc_client import channel
from devstack.urls import plain
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


async def eventually(
    probe: Callable[[], Awaitable[T | None]], within: float = 15.0, interval: float = 0.1
) -> T:
    """Poll `probe` until it returns something truthy (events arrive asynchronously)."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(interval)


@pytest_asyncio.fixture
async def governance(
    fresh_database: str, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> AsyncIterator[Governance]:
    settings = settings_for(fresh_database, nats_url, nats_stream, event_subject_prefix)
    async with running(settings) as service:
        chan = channel(f"127.0.0.1:{service.grpc.bound_port}", max_attempts=1)
        try:
            stub = governance_pb2_grpc.GovernanceServiceStub(chan)
            yield Governance(service, stub, fresh_database)
        finally:
            await chan.close()

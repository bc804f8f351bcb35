"""Fixtures and helpers for the catalog suite: the whole service in-process against real
PostgreSQL and NATS, a real PostgreSQL database to scan, and helpers to read the catalog's own
tables and the test's JetStream stream."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import nats
import pytest
from google.protobuf import struct_pb2

from catalog_service.app import CatalogService, running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import audit_pb2, events_pb2
from dckit.crypto import SecretBox
from dckit.grpc_client import channel
from devstack.databases import SourceDatabases, sql_build
from devstack.testing import starts_stack
from devstack.urls import database_of, postgres_connection

# The password given to every scanned source. The test servers use trust auth, so any
# password connects; the point is that this exact string never shows up in the catalog.
SECRET = "Sup3r-S3cret-Pa55word!"

SOURCE_SQL = """
CREATE SCHEMA sales;
CREATE TABLE sales.customers (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    name varchar(100),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sales.customers IS 'People who buy things';
COMMENT ON COLUMN sales.customers.email IS 'Primary contact address';
CREATE TABLE sales.orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES sales.customers (id),
    amount numeric(12, 2) NOT NULL DEFAULT 0,
    note text
);
CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 100;
COMMENT ON VIEW sales.big_orders IS 'Orders over 100';
CREATE MATERIALIZED VIEW sales.order_totals AS
    SELECT customer_id, sum(amount) AS total FROM sales.orders GROUP BY customer_id;
COMMENT ON MATERIALIZED VIEW sales.order_totals IS 'Revenue per customer';
CREATE TABLE public.events (id integer, payload jsonb);
"""
# (schema, name) -> (object_type, column count)
SOURCE_OBJECTS = {
    ("public", "events"): ("table", 2),
    ("sales", "big_orders"): ("view", 2),
    ("sales", "customers"): ("table", 4),
    ("sales", "order_totals"): ("materialized_view", 2),
    ("sales", "orders"): ("table", 4),
}
SOURCE_COLUMNS = sum(n for _, n in SOURCE_OBJECTS.values())


@dataclass
class SourceDb:
    url: str
    name: str

    def connection(self, **overrides: Any) -> dict[str, Any]:
        defaults: dict[str, Any] = {"connect_timeout_seconds": 5}
        if not urlsplit(self.url).password:
            defaults["password"] = SECRET
        return postgres_connection(self.url, **{**defaults, **overrides})

    @property
    def password(self) -> str:
        return str(self.connection()["password"])

    async def execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


@pytest.fixture
async def source_db(source_databases: SourceDatabases) -> AsyncIterator[SourceDb]:
    """A PostgreSQL database to scan (separate from the catalog's), with tables, a view, a
    materialized view, comments and a foreign key: a copy of this test's own (tests change it)
    of the one built once per session."""
    async with source_databases.private("catalog", sql_build(SOURCE_SQL)) as url:
        yield SourceDb(url, database_of(url))


@pytest.fixture
def settings(
    service_database: str,
    nats_url: str,
    nats_stream: str,
    event_subject_prefix: str,
    free_port: int,
) -> CatalogSettings:
    return CatalogSettings(
        database_url=service_database,
        nats_url=nats_url,
        nats_stream=nats_stream,
        event_subject_prefix=event_subject_prefix,
        grpc_port=free_port,
        quality_addr="",  # the quality service does not run here: capsule tests fake the port
        metrics_port=0,
        encryption_key=SecretBox.generate_key(),
        shutdown_grace_seconds=3,
    )


@pytest.fixture
@starts_stack
async def service(settings: CatalogSettings) -> AsyncIterator[CatalogService]:
    async with running(settings) as svc:
        yield svc


@pytest.fixture
async def stub(service: CatalogService) -> AsyncIterator[catalog_pb2_grpc.CatalogServiceStub]:
    async with connect(service) as client:
        yield client


class connect:
    def __init__(self, service: CatalogService) -> None:
        self.channel = channel(f"127.0.0.1:{service.grpc.bound_port}")

    async def __aenter__(self) -> catalog_pb2_grpc.CatalogServiceStub:
        return catalog_pb2_grpc.CatalogServiceStub(self.channel)

    async def __aexit__(self, *exc: object) -> None:
        await self.channel.close()


@pytest.fixture
async def catalog_db(service_database: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the catalog's own database (to look at rows at rest)."""
    conn = await asyncpg.connect(service_database)
    try:
        yield conn
    finally:
        await conn.close()


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


async def create_source(
    stub: catalog_pb2_grpc.CatalogServiceStub,
    name: str,
    connection: dict[str, Any],
    description: str = "",
) -> pb.Source:
    return await stub.CreateSource(
        pb.CreateSourceRequest(
            name=name,
            source_type="postgres",
            description=description,
            connection=struct(connection),
        )
    )


async def outbox_rows(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM catalog.outbox ORDER BY created_at, id")


def envelope(payload: bytes) -> events_pb2.EventEnvelope:
    return events_pb2.EventEnvelope.FromString(payload)


def audit_records(rows: list[asyncpg.Record], action: str | None = None) -> list[Any]:
    out = []
    for row in rows:
        if row["event_type"] != "datacompass.audit.recorded":
            continue
        record = audit_pb2.AuditRecord()
        assert envelope(row["payload"]).data.Unpack(record)
        if action is None or record.action == action:
            out.append(record)
    return out


@dataclass
class StreamMsg:
    subject: str
    msg_id: str
    envelope: events_pb2.EventEnvelope


async def stream_messages(
    nats_url: str, stream: str, *, at_least: int, wait: float = 15.0, settle: float = 0.0
) -> list[StreamMsg]:
    """Every message on `stream` once it holds `at_least` of them (then `settle` seconds more,
    to catch extras that should not be there)."""
    nc = await nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + wait
        count = 0
        while True:
            try:
                count = (await js.stream_info(stream)).state.messages
            except nats.js.errors.NotFoundError:
                count = 0
            if count >= at_least:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"stream {stream} has {count} messages, expected {at_least}")
            await asyncio.sleep(0.1)
        if settle:
            await asyncio.sleep(settle)
        info = await js.stream_info(stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq)
            headers = msg.headers or {}
            out.append(
                StreamMsg(msg.subject or "", headers.get("Nats-Msg-Id", ""), envelope(msg.data))
            )
        return out
    finally:
        await nc.close()


async def wait_published(conn: asyncpg.Connection, wait: float = 15.0) -> int:
    """Wait until the relay has published every outbox row; returns the row count."""
    deadline = time.monotonic() + wait
    while True:
        pending = await conn.fetchval(
            "SELECT count(*) FROM catalog.outbox WHERE published_at IS NULL"
        )
        if pending == 0:
            return int(await conn.fetchval("SELECT count(*) FROM catalog.outbox"))
        if time.monotonic() > deadline:
            raise AssertionError(f"{pending} outbox rows still pending")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never answers (a hung database)."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()

"""Fixtures for the quality suite: a real source database with generated rows, the catalog
service (which scans it) and the quality service, in-process over real gRPC, PostgreSQL and
NATS; plus the rows themselves so tests can compute every metric independently."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from google.protobuf import struct_pb2

from catalog_service.app import running as catalog_running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import refs_pb2
from datacompass.quality.v1 import dq_pb2 as pb
from datacompass.quality.v1 import dq_pb2_grpc, quality_rules_pb2_grpc
from dckit.crypto import SecretBox
from dckit.errors import Unavailable
from dckit.grpc_client import channel
from devstack.databases import SourceDatabases
from devstack.embedded import free_port as find_free_port
from devstack.testing import starts_stack
from devstack.urls import postgres_connection
from quality_service.app import QualityService
from quality_service.app import running as quality_running
from quality_service.application.ports import ExecutorFactory
from quality_service.config import QualitySettings

SOURCE = "shop"
REF = f"{SOURCE}.sales.events"
OBJ = refs_pb2.ObjectRef(qualified_name=REF)
DAYS = 20
EMPTY_DAY = 5  # no rows at all
ALL_NULL_DAY = 8  # rows, but every amount is NULL
SPIKE_DAY = 15  # three times the usual rows (an anomaly)

SOURCE_SQL = """
CREATE SCHEMA sales;
CREATE TABLE sales.events (
    id          bigint PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    day         date NOT NULL,
    day_text    text NOT NULL,
    amount      numeric(12,2),
    name        text,
    category    text NOT NULL,
    qty         integer,
    score       double precision
);
"""


@dataclass
class Rows:
    """The generated rows, as Python values (the independent side of every comparison)."""

    base: date
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def by_local_day(self, tz: Any) -> dict[date, list[tuple[Any, ...]]]:
        out: dict[date, list[tuple[Any, ...]]] = {}
        for row in self.rows:
            out.setdefault(row[1].astimezone(tz).date(), []).append(row)
        return out


def generate(base: date, seed: int = 7) -> Rows:
    rng = random.Random(seed)
    rows = Rows(base)
    next_id = 1
    for d in range(DAYS):
        if d == EMPTY_DAY:
            continue
        n = 40 + rng.randint(-3, 3)
        if d == SPIKE_DAY:
            n *= 3
        day = base + timedelta(days=d)
        for i in range(n):
            # Spread over the UTC day, including 23:xx (already tomorrow in Paris).
            at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                minutes=rng.randint(0, 1439)
            )
            amount = None
            if d != ALL_NULL_DAY and rng.random() > 0.1:
                amount = Decimal(rng.randint(100, 99999)) / 100
            name = None if rng.random() < 0.05 else "x" * rng.randint(1, 30)
            category = rng.choice(["a", "b", "c", "d"])
            qty = rng.randint(1, 9) if rng.random() > 0.2 else None
            score = rng.gauss(0, 1e6) if d != ALL_NULL_DAY else None
            rows.rows.append(
                (next_id, at, at.date(), at.strftime("%Y%m%d"), amount, name, category, qty, score)
            )
            next_id += 1
            del i
    return rows


@dataclass
class Stack:
    dq: dq_pb2_grpc.DqServiceStub
    rules: quality_rules_pb2_grpc.QualityRulesServiceStub
    catalog: catalog_pb2_grpc.CatalogServiceStub
    service: QualityService
    source_url: str
    rows: Rows
    database_url: str
    masker: RoleMasker

    async def source_sql(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.source_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def own_sql(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def config(self, **kw: Any) -> pb.DqConfig:
        values = {"object": OBJ, "date_column": "created_at", "grain": "daily", **kw}
        return await self.dq.CreateConfig(pb.CreateConfigRequest(**values))

    async def expect(
        self, config_id: int, metric: str, column: str = "", **threshold: Any
    ) -> pb.Expectation:
        spec = threshold or {"strategy": "absolute", "min": 0}
        return await self.dq.CreateExpectation(
            pb.CreateExpectationRequest(
                config_id=config_id, metric_type=metric, column=column, threshold=struct(spec)
            )
        )

    async def rescan(self) -> None:
        await self.catalog.StartScan(cpb.StartScanRequest(source_name=SOURCE, wait=True))


@dataclass
class RoleMasker:
    """The masking port as governance answers it, without governance: `rules` maps a column to
    its exempt roles; other roles see its values as "****". Records every call."""

    rules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, list[Any]]]] = field(default_factory=list)
    down: bool = False  # answer as an unreachable governance service does

    async def mask(
        self, object_ref: str, *, role: str, columns: Mapping[str, Sequence[Any]]
    ) -> tuple[dict[str, list[Any]], set[str]]:
        self.calls.append((object_ref, role, {c: list(v) for c, v in columns.items()}))
        if self.down:
            raise Unavailable("sample values are withheld: governance is down (test)")
        masked = {c for c in columns if c in self.rules and role not in self.rules[c]}
        shown = {
            c: ["****" if c in masked and v is not None else v for v in values]
            for c, values in columns.items()
        }
        return shown, masked


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def base_date() -> date:
    """Rows end a few days before today, so every bucket is complete (runs refuse the future)."""
    return datetime.now(UTC).date() - timedelta(days=DAYS + 3)


async def build_source(url: str) -> None:
    """The source database of `start_stack`: SOURCE_SQL and the rows of `generate(base_date())`."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SOURCE_SQL)
        await conn.copy_records_to_table(
            "events", schema_name="sales", records=generate(base_date()).rows,
            columns=["id", "created_at", "day", "day_text", "amount", "name", "category",
                     "qty", "score"],
        )  # fmt: skip
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def start_stack(
    sources: SourceDatabases,
    service_database: str,
    nats_url: str,
    nats_stream: str,
    event_subject_prefix: str,
    executor_factory: ExecutorFactory | None = None,
    masker: RoleMasker | None = None,
    **quality_overrides: Any,
) -> AsyncIterator[Stack]:
    base = base_date()
    rows = generate(base)
    # Built once per session (and day); a copy per test, since some tests change it.
    async with sources.private(f"quality_{base:%Y%m%d}", build_source) as source_url:
        shared = {
            "database_url": service_database,
            "nats_url": nats_url,
            "nats_stream": nats_stream,
            "event_subject_prefix": event_subject_prefix,
            "metrics_port": 0,
            "shutdown_grace_seconds": 3,
        }
        catalog_settings = CatalogSettings(
            **shared, grpc_port=find_free_port(), encryption_key=SecretBox.generate_key()
        )
        async with catalog_running(catalog_settings) as catalog:
            catalog_addr = f"127.0.0.1:{catalog.grpc.bound_port}"
            quality_settings = QualitySettings(
                **shared,
                grpc_port=find_free_port(),
                catalog_addr=catalog_addr,
                run_heartbeat_seconds=0.5,
                **quality_overrides,
            )
            masker = masker or RoleMasker()
            async with quality_running(quality_settings, executor_factory, masker) as quality:
                cchan = channel(catalog_addr, max_attempts=1)
                qchan = channel(f"127.0.0.1:{quality.grpc.bound_port}", max_attempts=1)
                try:
                    catalog_stub = catalog_pb2_grpc.CatalogServiceStub(cchan)
                    connection = postgres_connection(source_url, connect_timeout_seconds=5)
                    await catalog_stub.CreateSource(
                        cpb.CreateSourceRequest(
                            name=SOURCE, source_type="postgres", connection=struct(connection)
                        )
                    )
                    stack = Stack(
                        dq_pb2_grpc.DqServiceStub(qchan),
                        quality_rules_pb2_grpc.QualityRulesServiceStub(qchan),
                        catalog_stub,
                        quality,
                        source_url,
                        rows,
                        service_database,
                        masker,
                    )
                    await stack.rescan()
                    yield stack
                finally:
                    await cchan.close()
                    await qchan.close()


@pytest.fixture
@starts_stack
async def stack(
    source_databases: SourceDatabases,
    service_database: str,
    nats_url: str,
    nats_stream: str,
    event_subject_prefix: str,
) -> AsyncIterator[Stack]:
    async for s in start_stack(
        source_databases, service_database, nats_url, nats_stream, event_subject_prefix
    ):
        yield s


async def outbox_events(stack: Stack, event_type: str) -> list[Any]:
    """Envelopes of `event_type` in the quality outbox, oldest first."""
    from datacompass.common.v1 import events_pb2

    rows = await stack.own_sql(
        "SELECT payload FROM quality.outbox WHERE event_type = $1 ORDER BY created_at, id",
        event_type,
    )
    return [events_pb2.EventEnvelope.FromString(r["payload"]) for r in rows]


async def published_subjects(nats_url: str, stream: str, wait: float = 15.0) -> list[str]:
    """Subjects of every message on the stream once the relay has caught up."""
    import asyncio
    import time

    import nats

    nc = await nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + wait
        subjects: list[str] = []
        while time.monotonic() < deadline:
            info = await js.stream_info(stream)
            subjects = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                subjects.append((await js.get_msg(stream, seq)).subject or "")
            if any(s.endswith("quality.run.completed") for s in subjects):
                break
            await asyncio.sleep(0.2)
        return subjects
    finally:
        await nc.close()

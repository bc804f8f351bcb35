"""Metadata scan throughput of the catalog service, end to end over gRPC.

Baselines (same run, same source): a bare read of `information_schema.columns` for the same
tables (what any metadata tool has to read at least), and the PostgreSQL connector's own catalog
read (columns plus constraints, indexes, partitioning, statistics, view SQL). Ratios show what
reading structure and reconciling/storing cost on top.

The generated database has `tables` tables (default 5,000), created in batches so no single
transaction needs more locks than a default server allows."""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

import asyncpg

from bench.servers import Servers, drop_databases, timed
from catalog_service.app import running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from dcconnectors.postgres.metadata import PostgresMetadataReader
from dckit.crypto import SecretBox
from dckit.grpc_client import channel
from devstack.embedded import free_port
from devstack.urls import postgres_connection, with_database

COLUMNS_PER_TABLE = 12
CREATE_BATCH = 250  # tables per transaction (each CREATE TABLE holds locks until commit)
INFORMATION_SCHEMA_SQL = """
SELECT table_schema, table_name, column_name, ordinal_position, data_type, is_nullable,
       column_default
FROM information_schema.columns
WHERE table_schema = 'public'
ORDER BY table_name, ordinal_position
"""


async def _make_source(server_url: str, name: str, tables: int) -> str:
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = with_database(server_url, name)
    conn = await asyncpg.connect(url)
    cols = ", ".join(f"c{i} text" for i in range(COLUMNS_PER_TABLE - 1))
    for first in range(1, tables + 1, CREATE_BATCH):
        last = min(tables, first + CREATE_BATCH - 1)
        await conn.execute(
            f"""
            DO $$ BEGIN
              FOR i IN {first}..{last} LOOP
                EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY, {cols})', i);
                EXECUTE format('COMMENT ON TABLE t%s IS %L', i, 'bench table ' || i);
              END LOOP;
            END $$;
            """
        )
    await conn.execute("ANALYZE")
    await conn.close()
    return url


async def _information_schema_read(url: str, tables: int) -> float:
    """Connect and read every column of the generated tables from information_schema."""
    start = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(INFORMATION_SCHEMA_SQL)
    finally:
        await conn.close()
    elapsed = time.perf_counter() - start
    if len(rows) != tables * COLUMNS_PER_TABLE:
        raise RuntimeError(f"information_schema read {len(rows)} columns")
    return elapsed


async def run(servers: Servers, tables: int = 5000, repeat: int = 3) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    source_db, catalog_db = f"bench_src_{tag}", f"bench_catalog_{tag}"
    try:
        source_url = await _make_source(servers.database_url, source_db, tables)
        admin = await asyncpg.connect(servers.database_url)
        await admin.execute(f'CREATE DATABASE "{catalog_db}"')
        await admin.close()
        connection = postgres_connection(source_url)

        info_schema = statistics.median(
            [await _information_schema_read(source_url, tables) for _ in range(repeat)]
        )
        reader = PostgresMetadataReader(connection)
        baseline = statistics.median([(await timed(reader.scan))[0] for _ in range(repeat)])

        settings = CatalogSettings(
            database_url=with_database(servers.database_url, catalog_db),
            nats_url=servers.nats_url,
            nats_stream=f"BENCH{tag.upper()}",
            event_subject_prefix=f"bench{tag}",
            grpc_port=free_port(),
            metrics_port=0,
            encryption_key=SecretBox.generate_key(),
        )
        async with running(settings):
            chan = channel(f"127.0.0.1:{settings.grpc_port}", default_timeout=600)
            stub = catalog_pb2_grpc.CatalogServiceStub(chan)
            await stub.CreateSource(
                pb.CreateSourceRequest(name="bench", source_type="postgres", connection=connection)
            )

            async def scan() -> pb.ScanRun:
                run: pb.ScanRun = await stub.StartScan(
                    pb.StartScanRequest(source_name="bench", wait=True)
                )
                if run.status != pb.SCAN_STATUS_SUCCEEDED:
                    raise RuntimeError(f"bench scan failed: {run.error}")
                return run

            first = (await timed(scan))[0]
            rescans = [(await timed(scan))[0] for _ in range(repeat)]
            conn = await asyncpg.connect(source_url)
            changed = max(1, tables // 10)
            for i in range(1, changed + 1):
                await conn.execute(f"ALTER TABLE t{i} ADD COLUMN extra int")
            await conn.close()
            changed_scan = (await timed(scan))[0]
            await chan.close()
        rescan = statistics.median(rescans)
        return {
            "benchmark": "catalog_scan",
            "tables": tables,
            "columns": tables * COLUMNS_PER_TABLE,
            "baseline_information_schema_columns_s": round(info_schema, 4),
            "baseline_information_schema_objects_per_s": round(tables / info_schema, 1),
            "baseline_adapter_read_s": round(baseline, 4),
            "adapter_read_vs_information_schema": round(baseline / info_schema, 2),
            "first_scan_s": round(first, 4),
            "first_scan_vs_baseline": round(first / baseline, 2),
            "rescan_unchanged_s": round(rescan, 4),
            "rescan_unchanged_vs_baseline": round(rescan / baseline, 2),
            "rescan_10pct_changed_s": round(changed_scan, 4),
            "rescan_10pct_changed_vs_baseline": round(changed_scan / baseline, 2),
            "first_scan_vs_information_schema": round(first / info_schema, 2),
            "rescan_unchanged_vs_information_schema": round(rescan / info_schema, 2),
            "first_scan_objects_per_s": round(tables / first, 1),
            "rescan_unchanged_objects_per_s": round(tables / rescan, 1),
        }
    finally:
        await drop_databases(servers.database_url, source_db, catalog_db)

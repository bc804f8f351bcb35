"""Scan leases: with several catalog replicas on one database, a restart fails only the runs of
dead processes; a live process keeps its runs; shutdown fails its own unfinished runs."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from catalog_testkit import connect, create_source, silent_server

from catalog_service.app import migrate, running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as pb

pytestmark = pytest.mark.stack  # starts services or servers in its tests


async def _status(conn: asyncpg.Connection, scan_id: int) -> tuple[str, str | None]:
    row = await conn.fetchrow("SELECT status, error FROM catalog.scan_runs WHERE id = $1", scan_id)
    assert row is not None
    return row["status"], row["error"]


async def _insert_running(conn: asyncpg.Connection, name: str, age: str) -> int:
    source_id = await conn.fetchval(
        "INSERT INTO catalog.sources (name, source_type, connection_encrypted) "
        "VALUES ($1, 'postgres', '\\x00') RETURNING id",
        name,
    )
    scan_id: int = await conn.fetchval(
        "INSERT INTO catalog.scan_runs (source_id, status, worker, heartbeat_at) "
        f"VALUES ($1, 'running', 'other-replica:7', now() - interval '{age}') RETURNING id",
        source_id,
    )
    return scan_id


async def test_start_spares_live_replicas_and_sweeps_them_once_stale(
    settings: CatalogSettings, catalog_db: asyncpg.Connection
) -> None:
    settings = settings.model_copy(update={"scan_lease_seconds": 0.1, "scan_stale_seconds": 1.5})
    await migrate(settings)
    live = await _insert_running(catalog_db, "busy", "0 seconds")
    async with running(settings):
        await asyncio.sleep(0.5)  # several upkeep rounds: the other replica's lease is fresh
        assert await _status(catalog_db, live) == ("running", None)
        for _ in range(60):  # nobody renews it: stale after 1.5 s, failed by our sweeper
            if (await _status(catalog_db, live))[0] == "failed":
                break
            await asyncio.sleep(0.1)
        status, error = await _status(catalog_db, live)
        assert status == "failed" and error and "stopped" in error


async def test_own_long_scan_keeps_its_lease_and_shutdown_fails_it(
    settings: CatalogSettings, catalog_db: asyncpg.Connection
) -> None:
    settings = settings.model_copy(
        update={
            "scan_lease_seconds": 0.1,
            "scan_stale_seconds": 0.6,
            "shutdown_grace_seconds": 0.5,
            "scan_timeout_seconds": 60,
        }
    )
    async with silent_server() as port:
        async with running(settings) as service, connect(service) as stub:
            conn = {"host": "127.0.0.1", "port": port, "database": "db", "username": "u"}
            await create_source(stub, "slow", {**conn, "connect_timeout_seconds": 30})
            run = await stub.StartScan(pb.StartScanRequest(source_name="slow"))
            await asyncio.sleep(1.5)  # well past the stale age: our renewals keep it alive
            assert await _status(catalog_db, run.id) == ("running", None)
        status, error = await _status(catalog_db, run.id)
    assert status == "failed" and error == "interrupted: the catalog service shut down"
    events = await catalog_db.fetchval(
        "SELECT count(*) FROM catalog.outbox WHERE event_type = 'datacompass.catalog.scan.failed'"
    )
    assert events == 1

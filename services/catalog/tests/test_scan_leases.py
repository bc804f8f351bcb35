"""Scan leases: with several catalog replicas on one database, a restart fails only the runs of
dead processes; a live process keeps its runs; shutdown fails its own unfinished runs. Lease
time is a ManualClock the tests move (no sleeping against timeouts)."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import pytest
from catalog_testkit import connect, create_source, silent_server

from catalog_service.app import migrate, running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as pb
from dckit.clock import ManualClock

STALE = 60.0  # scan_stale_seconds (default); leases renew every 10 s

pytestmark = pytest.mark.stack  # starts services or servers in its tests


async def _status(conn: asyncpg.Connection, scan_id: int) -> tuple[str, str | None]:
    row = await conn.fetchrow("SELECT status, error FROM catalog.scan_runs WHERE id = $1", scan_id)
    assert row is not None
    return row["status"], row["error"]


async def _insert_running(conn: asyncpg.Connection, name: str, heartbeat: datetime) -> int:
    source_id = await conn.fetchval(
        "INSERT INTO catalog.sources (name, source_type, connection_encrypted) "
        "VALUES ($1, 'postgres', '\\x00') RETURNING id",
        name,
    )
    scan_id: int = await conn.fetchval(
        "INSERT INTO catalog.scan_runs (source_id, status, worker, heartbeat_at) "
        "VALUES ($1, 'running', 'other-replica:7', $2) RETURNING id",
        source_id,
        heartbeat,
    )
    return scan_id


async def _failed_events(conn: asyncpg.Connection) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM catalog.outbox "
            "WHERE event_type = 'datacompass.catalog.scan.failed'"
        )
    )


async def test_start_spares_live_replicas_and_sweeps_them_once_stale(
    settings: CatalogSettings, catalog_db: asyncpg.Connection
) -> None:
    clock = ManualClock()
    await migrate(settings)
    live = await _insert_running(catalog_db, "busy", clock())  # its replica just renewed it
    async with running(settings, clock=clock) as service:
        # Starting swept stale runs: the other replica's lease is fresh.
        assert await _status(catalog_db, live) == ("running", None)
        clock.advance(STALE - 1)
        assert await service.scans.recover() == 0
        assert await _status(catalog_db, live) == ("running", None)
        clock.advance(2)  # nobody renewed it: stale, failed by the next sweep
        await service.scans.recover()
        status, error = await _status(catalog_db, live)
        assert status == "failed" and error and "stopped" in error
        assert await service.scans.recover() == 0  # failed once, announced once
    assert await _failed_events(catalog_db) == 1


async def test_own_long_scan_keeps_its_lease_and_shutdown_fails_it(
    settings: CatalogSettings, catalog_db: asyncpg.Connection
) -> None:
    clock = ManualClock()
    settings = settings.model_copy(
        update={"shutdown_grace_seconds": 0.5, "scan_timeout_seconds": 60}
    )
    async with silent_server() as port:
        async with running(settings, clock=clock) as service, connect(service) as stub:
            conn = {"host": "127.0.0.1", "port": port, "database": "db", "username": "u"}
            await create_source(stub, "slow", {**conn, "connect_timeout_seconds": 30})
            run = await stub.StartScan(pb.StartScanRequest(source_name="slow"))
            for _ in range(4):  # well past the stale age, renewed in between as upkeep does
                clock.advance(STALE / 2)
                await service.scan_leases.renew()
                assert await service.scans.recover() == 0
            assert await _status(catalog_db, run.id) == ("running", None)
        status, error = await _status(catalog_db, run.id)
    assert status == "failed" and error == "interrupted: the catalog service shut down"
    assert await _failed_events(catalog_db) == 1

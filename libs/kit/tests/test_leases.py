"""Leased runs, with time driven by a ManualClock (no sleeping against timeouts)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert, select

from dckit.clock import ManualClock
from dckit.db import Database
from dckit.leases import PREVIOUS_STATUS, Leases, LeaseTable, Row
from dckit.outbox import Outbox, outbox_table
from dckit.uow import Transactions, UnitOfWork

metadata = MetaData()
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("status", String(16), nullable=False),
    Column("worker", String(100), nullable=False, server_default=""),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text, nullable=False, server_default=""),
    Column("seconds", Integer),
)
outbox = outbox_table(metadata)
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def tx(fresh_database: str) -> AsyncIterator[Transactions[UnitOfWork]]:
    db = Database(fresh_database, pool_size=4, instrument=False)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield Transactions(db, Outbox(outbox, "kittest"), UnitOfWork)
    finally:
        await db.dispose()


def _leases(
    tx: Transactions[UnitOfWork], clock: ManualClock, worker: str, lost: list[Row] | None = None
) -> Leases[UnitOfWork]:
    async def on_lost(uow: UnitOfWork, rows: Sequence[Row]) -> None:
        assert uow.session.in_transaction()
        if lost is not None:
            lost.extend(rows)

    return Leases(
        tx,
        LeaseTable(
            runs,
            active=("pending", "running"),
            failed="failed",
            on_fail=lambda t, now: {"seconds": 1},
        ),
        worker=worker,
        heartbeat_seconds=5,
        stale_seconds=30,
        clock=clock,
        on_lost=on_lost,
    )


async def _start(
    tx: Transactions[UnitOfWork], leases: Leases[UnitOfWork], status: str = "running"
) -> int:
    async with tx() as uow:
        run_id: int = await uow.session.scalar(
            insert(runs).values(status=status, **leases.stamp()).returning(runs.c.id)
        )
    return run_id


async def _status(tx: Transactions[UnitOfWork]) -> dict[int, tuple[str, str]]:
    async with tx() as uow:
        rows = await uow.session.execute(select(runs.c.id, runs.c.status, runs.c.error))
        return {r.id: (r.status, r.error) for r in rows}


async def test_a_live_holder_keeps_its_runs_and_a_dead_ones_runs_fail(
    tx: Transactions[UnitOfWork],
) -> None:
    clock = ManualClock(START)
    lost: list[Row] = []
    alive, dead, sweeper = (
        _leases(tx, clock, "alive"),
        _leases(tx, clock, "dead"),
        _leases(tx, clock, "sweeper", lost),
    )
    mine, theirs = await _start(tx, alive), await _start(tx, dead)
    task = asyncio.create_task(asyncio.sleep(3600))
    alive.hold(mine, task)
    assert alive.held() == [mine]

    for _ in range(10):  # 50 s: only the live holder renews
        clock.advance(5)
        await alive.renew()
        await sweeper.sweep("its process died")
    assert await _status(tx) == {mine: ("running", ""), theirs: ("failed", "its process died")}
    assert [r["id"] for r in lost] == [theirs]
    assert lost[0]["seconds"] == 1 and lost[0]["worker"] == "dead"
    assert (lost[0]["status"], lost[0][PREVIOUS_STATUS]) == ("failed", "running")

    clock.advance(29)  # just inside the lease
    assert await sweeper.sweep("x") == []
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert alive.held() == []


async def test_drain_fails_unfinished_runs_at_once(tx: Transactions[UnitOfWork]) -> None:
    clock = ManualClock(START)
    leases = _leases(tx, clock, "me")
    quick, slow = await _start(tx, leases), await _start(tx, leases, "pending")

    async def finish(run_id: int) -> None:
        async with tx() as uow:
            await uow.session.execute(runs.update().where(runs.c.id == run_id).values(status="ok"))

    leases.hold(quick, asyncio.create_task(finish(quick)))
    leases.hold(slow, asyncio.create_task(asyncio.sleep(3600)))
    failed = await leases.drain(0.5, reason="shutting down")
    assert [(r["id"], r[PREVIOUS_STATUS]) for r in failed] == [(slow, "pending")]
    assert await _status(tx) == {quick: ("ok", ""), slow: ("failed", "shutting down")}


async def test_upkeep_renews_and_stops(
    tx: Transactions[UnitOfWork], wait_until: Callable[..., Awaitable[None]]
) -> None:
    clock = ManualClock(START)
    leases = _leases(tx, clock, "me")
    run_id = await _start(tx, leases)
    leases.hold(run_id, asyncio.create_task(asyncio.sleep(3600)))
    clock.advance(100)  # the lease would be stale now unless renewed
    stop = asyncio.Event()
    worker = asyncio.create_task(leases.upkeep(stop))

    async def renewed() -> bool:
        async with tx() as uow:
            beat = await uow.session.scalar(select(runs.c.heartbeat_at).where(runs.c.id == run_id))
        return bool(beat == clock())

    await wait_until(renewed)  # upkeep's first round renews before it sweeps
    stop.set()
    await asyncio.wait_for(worker, 5)
    assert (await _status(tx))[run_id] == ("running", "")
    for task in leases.tasks():
        task.cancel()


def test_stale_must_outlast_the_heartbeat() -> None:
    with pytest.raises(ValueError, match="stale_seconds"):
        Leases(
            Transactions.__new__(Transactions),
            LeaseTable(runs),
            worker="w",
            heartbeat_seconds=10,
            stale_seconds=10,
        )

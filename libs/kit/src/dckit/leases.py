"""Leased runs: long work (scans, DQ runs, check runs, profiles, scheduled dispatches) is a row
that the process doing it holds by a lease.

- `stamp()` gives the lease columns for a new run (this worker, heartbeat now);
- the holder renews the heartbeat of the runs it holds every `heartbeat_seconds` (`upkeep`);
- every replica fails runs whose heartbeat is older than `stale_seconds` (`sweep`): their
  process died, so they can never finish;
- on shutdown a process gives its runs a grace period, then fails the rest itself (`drain`)
  instead of leaving them for another replica's sweep.

A lost run is failed and handed to `on_lost` in the same transaction (its row, with the status
it had under `PREVIOUS_STATUS`), so its failure event and audit record are written with it.
Time comes from the database (`now()`, so replicas agree) unless a `clock` is given; tests give
a `ManualClock` and drive time instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Table, func, literal, or_, select, update
from sqlalchemy.types import DateTime

from dckit.clock import Clock
from dckit.uow import Transactions, UnitOfWork

log = logging.getLogger(__name__)

Row = Mapping[str, Any]
# Key of a lost run's row (besides its columns) holding the status it had before it was failed.
PREVIOUS_STATUS = "previous_status"
U = TypeVar("U", bound=UnitOfWork)


class RunLeases(Protocol):
    """What use cases see of `Leases` (their `application/ports.py` re-exports it): the process
    running a run keeps its lease fresh; every replica fails runs whose lease went stale (their
    process died); shutdown fails the runs still held."""

    def stamp(self) -> dict[str, Any]: ...
    def hold(self, run_id: int, task: asyncio.Task[Any]) -> None: ...
    async def sweep(self, reason: str) -> Sequence[Row]: ...
    async def upkeep(self, stop: asyncio.Event, *, reason: str = "") -> None: ...
    async def drain(self, grace_seconds: float, *, reason: str = "") -> Sequence[Row]: ...


@dataclass(frozen=True)
class LeaseTable:
    """Where runs live. The table has `id`, `status`, `worker`, `heartbeat_at`, `error` and
    `finished_at` columns; `active` are the statuses a lease covers, `failed` the status a lost
    run ends in; `on_fail(table, now)` adds columns to set when failing (e.g. a duration)."""

    table: Table
    active: tuple[str, ...] = ("running",)
    failed: str = "failed"
    on_fail: Callable[[Table, ColumnElement[Any]], dict[str, Any]] = field(
        default=lambda table, now: {}
    )


class Leases(Generic[U]):
    def __init__(
        self,
        transactions: Transactions[U],
        runs: LeaseTable,
        *,
        worker: str,
        heartbeat_seconds: float,
        stale_seconds: float,
        clock: Clock | None = None,
        on_lost: Callable[[U, Sequence[Row]], Awaitable[None]] | None = None,
        what: str = "run",
    ) -> None:
        if stale_seconds <= heartbeat_seconds:
            # A live holder would lose its runs between two heartbeats.
            raise ValueError("stale_seconds must be longer than heartbeat_seconds")
        self.tx = transactions
        self.runs = runs
        self.worker = worker
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        self.clock = clock
        self.on_lost = on_lost
        self.what = what
        self._held: dict[asyncio.Task[Any], int] = {}

    # -- time ------------------------------------------------------------------------------
    def _now(self) -> ColumnElement[Any]:
        if self.clock is None:
            return func.now()
        return literal(self.clock(), DateTime(timezone=True))

    def stamp(self) -> dict[str, Any]:
        """Lease columns for a run this process is about to start."""
        return {"worker": self.worker, "heartbeat_at": self._now()}

    # -- holding -----------------------------------------------------------------------------
    def hold(self, run_id: int, task: asyncio.Task[Any]) -> None:
        """This process works on `run_id` in `task`; the lease is kept until the task ends."""
        self._held[task] = run_id
        task.add_done_callback(lambda done: self._held.pop(done, None))

    def held(self) -> list[int]:
        return sorted(self._held.values())

    def tasks(self) -> list[asyncio.Task[Any]]:
        return list(self._held)

    # -- the lease lifecycle --------------------------------------------------------------
    async def renew(self, run_ids: Sequence[int] | None = None) -> None:
        """Push the heartbeat of the runs this process holds (or of `run_ids`) forward."""
        ids = list(self.held() if run_ids is None else run_ids)
        if not ids:
            return
        t = self.runs.table
        async with self.tx() as uow:
            await uow.session.execute(
                update(t)
                .where(t.c.id.in_(ids), t.c.status.in_(self.runs.active))
                .values(heartbeat_at=self._now())
            )

    async def sweep(self, reason: str) -> list[Row]:
        """Fail every active run whose heartbeat is older than `stale_seconds`, whoever held it.
        A run that never got a heartbeat counts as stale."""
        t = self.runs.table
        cutoff = self._now() - func.make_interval(0, 0, 0, 0, 0, 0, self.stale_seconds)
        return await self._fail(or_(t.c.heartbeat_at.is_(None), t.c.heartbeat_at < cutoff), reason)

    async def fail(self, run_ids: Sequence[int], reason: str) -> list[Row]:
        """Fail these runs now (they are still active)."""
        if not run_ids:
            return []
        return await self._fail(self.runs.table.c.id.in_(list(run_ids)), reason)

    async def upkeep(self, stop: asyncio.Event, *, reason: str = "") -> None:
        """Worker: renew this process's leases and fail other processes' stale runs, until
        `stop` is set. A database blip is logged and retried next round."""
        reason = reason or f"interrupted: the process running this {self.what} stopped"
        while not stop.is_set():
            try:
                await self.renew()
                await self.sweep(reason)
            except Exception as exc:
                log.warning("%s lease upkeep failed: %s", self.what, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.heartbeat_seconds)

    async def drain(self, grace_seconds: float, *, reason: str = "") -> list[Row]:
        """On shutdown: give the held runs `grace_seconds`, cancel the rest and fail them now."""
        reason = reason or f"interrupted: the service running this {self.what} shut down"
        if not self._held:
            return []
        await asyncio.wait(list(self._held), timeout=grace_seconds)
        leftover = dict(self._held)
        for task in leftover:
            task.cancel()
        await asyncio.gather(*leftover, return_exceptions=True)
        return await self.fail(list(leftover.values()), reason)

    async def _fail(self, condition: ColumnElement[bool], reason: str) -> list[Row]:
        t = self.runs.table
        now = self._now()
        async with self.tx() as uow:
            # Lock first to learn each run's status before (its audit record says what the
            # failure changed); rows that finish meanwhile no longer match once the lock is ours.
            locked = await uow.session.execute(
                select(t.c.id, t.c.status)
                .where(t.c.status.in_(self.runs.active), condition)
                .order_by(t.c.id)
                .with_for_update()
            )
            previous = {r.id: r.status for r in locked}
            if not previous:
                return []
            result = await uow.session.execute(
                update(t)
                .where(t.c.id.in_(list(previous)))
                .values(
                    status=self.runs.failed,
                    error=reason,
                    finished_at=now,
                    **self.runs.on_fail(t, now),
                )
                .returning(*t.c)
            )
            rows: list[Row] = sorted(
                ({**r, PREVIOUS_STATUS: previous[r["id"]]} for r in result.mappings().all()),
                key=lambda r: r["id"],
            )
            if rows and self.on_lost is not None:
                await self.on_lost(uow, rows)
        if rows:
            log.warning("failed %d %s(s): %s", len(rows), self.what, reason)
        return rows

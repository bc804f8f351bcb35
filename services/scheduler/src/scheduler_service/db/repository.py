"""All SQL on the scheduler's own tables. Methods take the caller's session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.errors import AlreadyExists
from scheduler_service.db.tables import schedule_runs, schedules

Row = RowMapping

ACTIVE = ("pending", "running")
# The schedule's current name while it exists; the name kept on the run once it is deleted.
_RUN_COLUMNS = [
    *(c for c in schedule_runs.c if c.name != "schedule_name"),
    func.coalesce(schedules.c.name, schedule_runs.c.schedule_name).label("schedule_name"),
]
_RUNS = schedule_runs.outerjoin(schedules, schedules.c.id == schedule_runs.c.schedule_id)


class SchedulerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ schedules
    async def insert_schedule(self, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                res = await self.s.execute(insert(schedules).values(**values).returning(schedules))
                return res.mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"name: a schedule named {values['name']!r} exists") from exc

    async def get_schedule(self, schedule_id: int, *, for_update: bool = False) -> Row | None:
        query = select(schedules).where(schedules.c.id == schedule_id)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def list_schedules(self, task_type: str, offset: int, limit: int) -> Sequence[Row]:
        query = select(schedules).order_by(schedules.c.id).offset(offset).limit(limit)
        if task_type:
            query = query.where(schedules.c.task_type == task_type)
        return (await self.s.execute(query)).mappings().all()

    async def update_schedule(self, schedule_id: int, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                query = (
                    update(schedules)
                    .where(schedules.c.id == schedule_id)
                    .values(**values)
                    .returning(schedules)
                )
                return (await self.s.execute(query)).mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"name: a schedule named {values.get('name')!r} exists") from exc

    async def delete_schedule(self, schedule_id: int) -> None:
        await self.s.execute(delete(schedules).where(schedules.c.id == schedule_id))

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Row]:
        """Due schedules, locked; rows another replica holds are skipped, not waited for."""
        query = (
            select(schedules)
            .where(schedules.c.enabled.is_(True), schedules.c.next_run_at <= now)
            .order_by(schedules.c.next_run_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.s.execute(query)).mappings().all()

    # ------------------------------------------------------------ runs
    async def insert_run(self, values: dict[str, Any]) -> int | None:
        """The new run's id, or None when that slot of the schedule already has a run."""
        query = (
            pg_insert(schedule_runs)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_schedule_run_slot")
            .returning(schedule_runs.c.id)
        )
        return (await self.s.execute(query)).scalar_one_or_none()

    async def get_run(self, run_id: int) -> Row | None:
        query = select(*_RUN_COLUMNS).select_from(_RUNS).where(schedule_runs.c.id == run_id)
        return (await self.s.execute(query)).mappings().first()

    async def update_active_run(self, run_id: int, values: dict[str, Any]) -> bool:
        """Update a run still pending or running; False when it has ended (e.g. it was failed
        as stale meanwhile: a late dispatch must not overwrite that)."""
        res = await self.s.execute(
            update(schedule_runs)
            .where(schedule_runs.c.id == run_id, schedule_runs.c.status.in_(ACTIVE))
            .values(**values)
            .returning(schedule_runs.c.id)
        )
        return res.scalar_one_or_none() is not None

    async def renew_leases(self, run_ids: Sequence[int]) -> None:
        """The process dispatching these runs is alive: push their leases forward."""
        if run_ids:
            await self.s.execute(
                update(schedule_runs)
                .where(schedule_runs.c.id.in_(run_ids), schedule_runs.c.status.in_(ACTIVE))
                .values(heartbeat_at=func.now())
            )

    async def fail_stale_runs(
        self, stale_seconds: float, error: str, now: datetime
    ) -> list[tuple[Row, str]]:
        """Fail unfinished runs whose lease is older than `stale_seconds` (database clock, so
        replicas agree)."""
        cutoff = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, stale_seconds)
        return await self._fail_runs(schedule_runs.c.heartbeat_at < cutoff, error, now)

    async def fail_worker_runs(
        self, worker: str, error: str, now: datetime
    ) -> list[tuple[Row, str]]:
        """Fail the unfinished runs the given process owns."""
        return await self._fail_runs(schedule_runs.c.worker == worker, error, now)

    async def _fail_runs(self, condition: Any, error: str, now: datetime) -> list[tuple[Row, str]]:
        """The failed runs, each with its status before (for the audit record)."""
        # Rows another replica is failing or finishing right now are skipped, not waited for.
        locked = (
            select(schedule_runs.c.id, schedule_runs.c.status)
            .where(schedule_runs.c.status.in_(ACTIVE), condition)
            .order_by(schedule_runs.c.id)
            .with_for_update(skip_locked=True)
        )
        previous = {r.id: r.status for r in (await self.s.execute(locked)).all()}
        if not previous:
            return []
        await self.s.execute(
            update(schedule_runs)
            .where(schedule_runs.c.id.in_(previous))
            .values(status="failed", error=error, finished_at=now)
        )
        query = (
            select(*_RUN_COLUMNS)
            .select_from(_RUNS)
            .where(schedule_runs.c.id.in_(previous))
            .order_by(schedule_runs.c.id)
        )
        rows = (await self.s.execute(query)).mappings().all()
        return [(row, previous[row["id"]]) for row in rows]

    async def list_runs(
        self, schedule_id: int, status: str, offset: int, limit: int
    ) -> Sequence[Row]:
        query = (
            select(*_RUN_COLUMNS)
            .select_from(_RUNS)
            .order_by(schedule_runs.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        if schedule_id:
            query = query.where(schedule_runs.c.schedule_id == schedule_id)
        if status:
            query = query.where(schedule_runs.c.status == status)
        return (await self.s.execute(query)).mappings().all()

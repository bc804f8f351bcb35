"""SQL on the schedule_runs table (leases: dckit.leases over the same table)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record
from dckit.leases import LeaseTable
from scheduler_service.db.tables import schedule_runs, schedules
from scheduler_service.domain.runs import ACTIVE, RunStatus, ScheduleRun

LEASES = LeaseTable(schedule_runs, active=tuple(ACTIVE), failed=RunStatus.FAILED.value)

# The schedule's current name while it exists; the name kept on the run once it is deleted.
_RUN_COLUMNS = [
    *(c for c in schedule_runs.c if c.name != "schedule_name"),
    func.coalesce(schedules.c.name, schedule_runs.c.schedule_name).label("schedule_name"),
]
_RUNS = schedule_runs.outerjoin(schedules, schedules.c.id == schedule_runs.c.schedule_id)


def _run(row: Mapping[Any, Any]) -> ScheduleRun:
    return record(ScheduleRun, row, status=RunStatus(row["status"]))


class Runs:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, values: Mapping[str, Any]) -> int | None:
        """The new run's id, or None when that slot of the schedule already has a run."""
        query = (
            pg_insert(schedule_runs)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_schedule_run_slot")
            .returning(schedule_runs.c.id)
        )
        return (await self.s.execute(query)).scalar_one_or_none()

    async def get(self, run_id: int) -> ScheduleRun | None:
        query = select(*_RUN_COLUMNS).select_from(_RUNS).where(schedule_runs.c.id == run_id)
        row = (await self.s.execute(query)).mappings().first()
        return None if row is None else _run(row)

    async def update_active(self, run_id: int, values: Mapping[str, Any]) -> bool:
        """Update a run still pending or running; False when it has ended (e.g. it was failed
        as stale meanwhile: a late dispatch must not overwrite that)."""
        res = await self.s.execute(
            update(schedule_runs)
            .where(schedule_runs.c.id == run_id, schedule_runs.c.status.in_(ACTIVE))
            .values(**values)
            .returning(schedule_runs.c.id)
        )
        return res.scalar_one_or_none() is not None

    async def page(
        self, *, schedule_id: int, status: str, offset: int, limit: int
    ) -> list[ScheduleRun]:
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
        return [_run(r) for r in (await self.s.execute(query)).mappings()]

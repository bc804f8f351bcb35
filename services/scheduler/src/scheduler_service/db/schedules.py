"""SQL on the schedules table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import TableRows, record
from scheduler_service.db.tables import schedules
from scheduler_service.domain.schedules import Schedule


def _schedule(row: Mapping[Any, Any]) -> Schedule:
    return record(Schedule, row)


class Schedules(TableRows[Schedule]):
    def __init__(self, session: AsyncSession) -> None:
        # updated_at comes from the use case's clock.
        super().__init__(
            session,
            schedules,
            _schedule,
            conflict=lambda values: f"name: a schedule named {values.get('name')!r} exists",
        )

    async def page(self, *, task_type: str, offset: int, limit: int) -> list[Schedule]:
        query = select(schedules).order_by(schedules.c.id).offset(offset).limit(limit)
        if task_type:
            query = query.where(schedules.c.task_type == task_type)
        return [_schedule(r) for r in (await self.s.execute(query)).mappings()]

    async def claim_due(self, now: datetime, limit: int) -> list[Schedule]:
        """Due schedules, locked; rows another replica holds are skipped, not waited for."""
        query = (
            select(schedules)
            .where(schedules.c.enabled.is_(True), schedules.c.next_run_at <= now)
            .order_by(schedules.c.next_run_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_schedule(r) for r in (await self.s.execute(query)).mappings()]

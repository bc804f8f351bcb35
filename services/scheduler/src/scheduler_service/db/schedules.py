"""SQL on the schedules table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record
from dckit.errors import AlreadyExists
from scheduler_service.db.tables import schedules
from scheduler_service.domain.schedules import Schedule


def _schedule(row: Mapping[Any, Any]) -> Schedule:
    return record(Schedule, row)


class Schedules:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, values: Mapping[str, Any]) -> Schedule:
        try:
            async with self.s.begin_nested():
                res = await self.s.execute(insert(schedules).values(**values).returning(schedules))
                return _schedule(res.mappings().one())
        except IntegrityError as exc:
            raise AlreadyExists(f"name: a schedule named {values['name']!r} exists") from exc

    async def get(self, schedule_id: int, *, for_update: bool = False) -> Schedule | None:
        query = select(schedules).where(schedules.c.id == schedule_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.s.execute(query)).mappings().first()
        return None if row is None else _schedule(row)

    async def page(self, *, task_type: str, offset: int, limit: int) -> list[Schedule]:
        query = select(schedules).order_by(schedules.c.id).offset(offset).limit(limit)
        if task_type:
            query = query.where(schedules.c.task_type == task_type)
        return [_schedule(r) for r in (await self.s.execute(query)).mappings()]

    async def update(self, schedule_id: int, values: Mapping[str, Any]) -> Schedule:
        try:
            async with self.s.begin_nested():
                query = (
                    update(schedules)
                    .where(schedules.c.id == schedule_id)
                    .values(**values)
                    .returning(schedules)
                )
                return _schedule((await self.s.execute(query)).mappings().one())
        except IntegrityError as exc:
            raise AlreadyExists(f"name: a schedule named {values.get('name')!r} exists") from exc

    async def delete(self, schedule_id: int) -> None:
        await self.s.execute(delete(schedules).where(schedules.c.id == schedule_id))

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

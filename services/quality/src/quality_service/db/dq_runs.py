"""SQL on DQ runs (the caller's session: one transaction). Their lease columns (worker,
heartbeat_at) are kept by dckit.leases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quality_service.db.rows import Row, all_rows, first, one
from quality_service.db.tables import dq_runs

ACTIVE = ("pending", "running")


class DqRuns:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, values: dict[str, Any]) -> Row:
        return await one(self.s, insert(dq_runs).values(**values).returning(dq_runs))

    async def get(self, run_id: int) -> Row | None:
        return await first(self.s, select(dq_runs).where(dq_runs.c.id == run_id))

    async def page(self, config_id: int, offset: int, limit: int) -> list[Row]:
        """Newest first; `config_id` 0: every config's."""
        query = select(dq_runs).order_by(dq_runs.c.id.desc()).offset(offset).limit(limit)
        if config_id:
            query = query.where(dq_runs.c.config_id == config_id)
        return await all_rows(self.s, query)

    async def update(self, run_id: int, values: dict[str, Any]) -> Row:
        query = update(dq_runs).where(dq_runs.c.id == run_id).values(**values).returning(dq_runs)
        return await one(self.s, query)

    async def active(self, config_id: int) -> Row | None:
        query = select(dq_runs).where(
            dq_runs.c.config_id == config_id, dq_runs.c.status.in_(ACTIVE)
        )
        return await first(self.s, query.limit(1))

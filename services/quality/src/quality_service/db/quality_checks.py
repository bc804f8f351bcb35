"""SQL on check runs and their checks (the caller's session: one transaction). The runs' lease
columns (worker, heartbeat_at) are kept by dckit.leases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quality_service.db.rows import Row, all_rows, by_id, first, one
from quality_service.db.tables import quality_check_runs, quality_checks


class QualityChecks:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert_run(self, values: dict[str, Any]) -> Row:
        statement = insert(quality_check_runs).values(**values).returning(quality_check_runs)
        return await one(self.s, statement)

    async def finish_run(self, run_id: int, values: dict[str, Any]) -> Row:
        return await one(
            self.s,
            update(quality_check_runs)
            .where(quality_check_runs.c.id == run_id)
            .values(**values, finished_at=func.now())
            .returning(quality_check_runs),
        )

    async def get_run(self, run_id: int) -> Row | None:
        return await first(
            self.s, select(quality_check_runs).where(quality_check_runs.c.id == run_id)
        )

    async def page_runs(self, object_urn: str | None, offset: int, limit: int) -> list[Row]:
        """Newest first; `object_urn` None: every object's."""
        query = (
            select(quality_check_runs)
            .order_by(quality_check_runs.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        if object_urn is not None:
            query = query.where(quality_check_runs.c.object_urn == object_urn)
        return await all_rows(self.s, query)

    async def insert_checks(self, rows: Sequence[dict[str, Any]]) -> list[Row]:
        if not rows:
            return []
        statement = insert(quality_checks).values(list(rows)).returning(quality_checks)
        return by_id(await all_rows(self.s, statement))

    async def checks_of(self, run_ids: Sequence[int]) -> list[Row]:
        if not run_ids:
            return []
        query = (
            select(quality_checks)
            .where(quality_checks.c.run_id.in_(list(run_ids)))
            .order_by(quality_checks.c.id)
        )
        return await all_rows(self.s, query)

    async def latest_checks(self, rule_ids: Sequence[int]) -> list[Row]:
        """The newest check of each rule (what the quality score reflects)."""
        if not rule_ids:
            return []
        query = (
            select(quality_checks)
            .where(quality_checks.c.rule_id.in_(list(rule_ids)))
            .distinct(quality_checks.c.rule_id)
            .order_by(quality_checks.c.rule_id, quality_checks.c.id.desc())
        )
        return await all_rows(self.s, query)

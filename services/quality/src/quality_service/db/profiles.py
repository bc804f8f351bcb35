"""SQL on profile runs and column profiles (the caller's session: one transaction). The runs'
lease columns (worker, heartbeat_at) are kept by dckit.leases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quality_service.db.rows import Row, all_rows, by_id, first, one
from quality_service.db.tables import column_profiles, profile_runs


class Profiles:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert_run(self, values: dict[str, Any]) -> Row:
        return await one(self.s, insert(profile_runs).values(**values).returning(profile_runs))

    async def progress(self, run_id: int, done: int, total: int) -> None:
        # Progress callbacks may land out of order: never move backwards.
        await self.s.execute(
            update(profile_runs)
            .where(profile_runs.c.id == run_id, profile_runs.c.steps_done <= done)
            .values(steps_done=done, steps_total=total)
        )

    async def finish_run(self, run_id: int, values: dict[str, Any]) -> Row:
        return await one(
            self.s,
            update(profile_runs)
            .where(profile_runs.c.id == run_id)
            .values(**values, finished_at=func.now())
            .returning(profile_runs),
        )

    async def get_run(self, run_id: int) -> Row | None:
        return await first(self.s, select(profile_runs).where(profile_runs.c.id == run_id))

    async def latest_run(self, object_urn: str) -> Row | None:
        query = (
            select(profile_runs)
            .where(profile_runs.c.object_urn == object_urn, profile_runs.c.status == "succeeded")
            .order_by(profile_runs.c.id.desc())
            .limit(1)
        )
        return await first(self.s, query)

    async def insert_columns(self, rows: Sequence[dict[str, Any]]) -> list[Row]:
        if not rows:
            return []
        statement = insert(column_profiles).values(list(rows)).returning(column_profiles)
        return by_id(await all_rows(self.s, statement))

    async def columns_of(self, run_id: int) -> list[Row]:
        query = (
            select(column_profiles)
            .where(column_profiles.c.profile_run_id == run_id)
            .order_by(column_profiles.c.id)
        )
        return await all_rows(self.s, query)

    async def latest_columns(self, object_urn: str) -> list[Row]:
        """The newest profile of each column, whichever run it came from."""
        query = (
            select(column_profiles)
            .where(column_profiles.c.object_urn == object_urn)
            .distinct(column_profiles.c.column_name)
            .order_by(
                column_profiles.c.column_name,
                column_profiles.c.profile_run_id.desc(),
                column_profiles.c.id.desc(),
            )
        )
        return await all_rows(self.s, query)

    async def column_history(self, object_urn: str, *, column: str, limit: int) -> list[Row]:
        query = (
            select(column_profiles)
            .where(
                column_profiles.c.object_urn == object_urn,
                column_profiles.c.column_name == column,
            )
            # Newest run first (a run that started earlier may have finished later).
            .order_by(column_profiles.c.profile_run_id.desc(), column_profiles.c.id.desc())
            .limit(limit)
        )
        return await all_rows(self.s, query)

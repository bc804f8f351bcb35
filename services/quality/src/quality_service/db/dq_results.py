"""SQL on DQ results: one judged value per expectation and bucket (the caller's session)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from quality_service.db.rows import Row, all_rows
from quality_service.db.tables import dq_results

# What a re-run of a bucket replaces (idempotent by expectation and bucket).
_REPLACED = (
    "status",
    "value",
    "threshold_low",
    "threshold_high",
    "threshold",
    "error",
    "run_id",
    "executed_at",
)


class DqResults:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def history(
        self, expectation_id: int, before: date, exclude: Sequence[date], limit: int
    ) -> list[tuple[date, float]]:
        """The latest `limit` earlier measured, non-breaching values (oldest first)."""
        query = (
            select(dq_results.c.bucket, dq_results.c.value)
            .where(
                dq_results.c.expectation_id == expectation_id,
                dq_results.c.bucket < before,
                dq_results.c.status.in_(("ok", "learning")),
                dq_results.c.value.is_not(None),
            )
            .order_by(dq_results.c.bucket.desc())
            .limit(limit)
        )
        if exclude:
            query = query.where(dq_results.c.bucket.not_in(list(exclude)))
        rows = (await self.s.execute(query)).all()
        return [(r.bucket, r.value) for r in reversed(rows)]

    async def upsert(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        stmt = pg_insert(dq_results).values(list(rows))
        stmt = stmt.on_conflict_do_update(
            constraint="uq_result_bucket", set_={c: stmt.excluded[c] for c in _REPLACED}
        )
        await self.s.execute(stmt)

    async def since(self, expectation_id: int, since: date) -> list[Row]:
        query = (
            select(dq_results)
            .where(dq_results.c.expectation_id == expectation_id, dq_results.c.bucket >= since)
            .order_by(dq_results.c.bucket)
        )
        return await all_rows(self.s, query)

    async def latest(self, expectation_ids: Sequence[int]) -> dict[int, Row]:
        query = (
            select(dq_results)
            .where(dq_results.c.expectation_id.in_(list(expectation_ids)))
            .distinct(dq_results.c.expectation_id)
            .order_by(dq_results.c.expectation_id, dq_results.c.bucket.desc())
        )
        return {r["expectation_id"]: r for r in await all_rows(self.s, query)}

"""SQL on DQ breaches (the caller's session: one transaction). A breach is read with its
object's URN and ref and its expectation's metric and column."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quality_service.db.rows import Row, all_rows, first, one
from quality_service.db.tables import dq_breaches, dq_configs, dq_expectations
from quality_service.domain.dq_breaches import OPEN, BreachFilter


class DqBreaches:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def of_buckets(self, expectation_id: int, buckets: Sequence[date]) -> dict[date, Row]:
        query = (
            select(dq_breaches)
            .where(
                dq_breaches.c.expectation_id == expectation_id,
                dq_breaches.c.bucket.in_(list(buckets)),
            )
            .with_for_update()
        )
        return {r["bucket"]: r for r in await all_rows(self.s, query)}

    async def insert(self, values: dict[str, Any]) -> Row:
        return await one(self.s, insert(dq_breaches).values(**values).returning(dq_breaches))

    async def update(self, breach_id: int, values: dict[str, Any]) -> Row:
        return await one(
            self.s,
            update(dq_breaches)
            .where(dq_breaches.c.id == breach_id)
            .values(**values, updated_at=func.now())
            .returning(dq_breaches),
        )

    async def get(self, breach_id: int, *, for_update: bool = False) -> Row | None:
        query = _joined().where(dq_breaches.c.id == breach_id)
        return await first(self.s, query.with_for_update(of=dq_breaches) if for_update else query)

    async def page(self, f: BreachFilter, offset: int, limit: int) -> list[Row]:
        """Newest bucket first."""
        conds: list[Any] = []
        if f.status:
            conds.append(dq_breaches.c.status.in_(list(f.status)))
        if f.priority:
            conds.append(dq_breaches.c.priority.in_(list(f.priority)))
        if f.object_urn is not None:
            conds.append(dq_configs.c.object_urn == f.object_urn)
        if f.config_id:
            conds.append(dq_breaches.c.config_id == f.config_id)
        if f.expectation_id:
            conds.append(dq_breaches.c.expectation_id == f.expectation_id)
        if f.since:
            conds.append(dq_breaches.c.bucket >= f.since)
        query = (
            _joined()
            .where(*conds)
            .order_by(dq_breaches.c.bucket.desc(), dq_breaches.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return await all_rows(self.s, query)

    async def counts(self, expectation_ids: Sequence[int], since: date) -> dict[int, int]:
        query = (
            select(dq_breaches.c.expectation_id, func.count())
            .where(
                dq_breaches.c.expectation_id.in_(list(expectation_ids)),
                dq_breaches.c.bucket >= since,
            )
            .group_by(dq_breaches.c.expectation_id)
        )
        return {r[0]: r[1] for r in (await self.s.execute(query)).all()}

    async def open_by_priority(self, config_id: int | None = None) -> dict[str, int]:
        """Open (or acknowledged) breaches by priority."""
        query = (
            select(dq_breaches.c.priority, func.count())
            .where(dq_breaches.c.status.in_(OPEN))
            .group_by(dq_breaches.c.priority)
        )
        if config_id is not None:
            query = query.where(dq_breaches.c.config_id == config_id)
        return {r[0]: r[1] for r in (await self.s.execute(query)).all()}


def _joined() -> Select[Any]:
    return select(
        dq_breaches,
        dq_configs.c.object_urn,
        dq_configs.c.object_ref,
        dq_expectations.c.metric_type,
        dq_expectations.c.column_name,
    ).select_from(
        dq_breaches.join(
            dq_expectations, dq_expectations.c.id == dq_breaches.c.expectation_id
        ).join(dq_configs, dq_configs.c.id == dq_breaches.c.config_id)
    )

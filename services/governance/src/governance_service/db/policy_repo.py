"""SQL of data policies. Methods take the caller's session."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from governance_service.db.tables import data_policies

Row = RowMapping


class PolicyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, values: dict[str, Any]) -> Row:
        query = insert(data_policies).values(**values).returning(data_policies)
        return (await self.s.execute(query)).mappings().one()

    async def get(self, policy_id: int, *, for_update: bool = False) -> Row | None:
        query = select(data_policies).where(data_policies.c.id == policy_id)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def update(self, policy_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(data_policies)
            .where(data_policies.c.id == policy_id)
            .values(**values, updated_at=func.now())
            .returning(data_policies)
        )
        return (await self.s.execute(query)).mappings().one()

    async def delete(self, policy_id: int) -> None:
        await self.s.execute(delete(data_policies).where(data_policies.c.id == policy_id))

    async def page(
        self, urn: str, overdue_before: date | None, offset: int, limit: int
    ) -> list[Row]:
        """Policies (of one object, or all), overdue ones only when `overdue_before` is given,
        most overdue first then by id; one row more than `limit` tells there is more."""
        query = select(data_policies)
        if urn:
            query = query.where(data_policies.c.object_urn == urn)
        if overdue_before is not None:
            query = query.where(data_policies.c.next_review_date < overdue_before).order_by(
                data_policies.c.next_review_date
            )
        query = query.order_by(data_policies.c.id).offset(offset).limit(limit + 1)
        return list((await self.s.execute(query)).mappings())

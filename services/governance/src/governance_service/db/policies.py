"""SQL of data policies. Methods take the unit of work's session."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record, row_values
from governance_service.db.tables import data_policies
from governance_service.domain.policies import Policy, PolicySpec

STAMPED = {"id", "created_at", "updated_at"}


def _policy(row: RowMapping) -> Policy:
    return record(Policy, row, column=row["column_name"], spec=record(PolicySpec, row))


class PolicyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, policy: Policy) -> Policy:
        values = row_values(
            data_policies, policy, policy.spec, skip=STAMPED, column_name=policy.column
        )
        return await self._write(insert(data_policies).values(**values))

    async def get(self, policy_id: int, *, for_update: bool = False) -> Policy | None:
        query = select(data_policies).where(data_policies.c.id == policy_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.s.execute(query)).mappings().first()
        return _policy(row) if row is not None else None

    async def update(self, policy: Policy) -> Policy:
        """Writes the policy's spec, next review date and updater."""
        values = row_values(
            data_policies,
            policy.spec,
            skip=STAMPED,
            next_review_date=policy.next_review_date,
            updated_by=policy.updated_by,
            updated_at=func.now(),
        )
        query = update(data_policies).where(data_policies.c.id == policy.id)
        return await self._write(query.values(**values))

    async def _write(self, query: Any) -> Policy:
        return _policy((await self.s.execute(query.returning(data_policies))).mappings().one())

    async def delete(self, policy_id: int) -> None:
        await self.s.execute(delete(data_policies).where(data_policies.c.id == policy_id))

    async def page(
        self, urn: str, overdue_before: date | None, offset: int, count: int
    ) -> list[Policy]:
        """Policies (of one object, or all), overdue ones only when `overdue_before` is given,
        most overdue first then by id."""
        query = select(data_policies)
        if urn:
            query = query.where(data_policies.c.object_urn == urn)
        if overdue_before is not None:
            query = query.where(data_policies.c.next_review_date < overdue_before).order_by(
                data_policies.c.next_review_date
            )
        query = query.order_by(data_policies.c.id).offset(offset).limit(count)
        return [_policy(r) for r in (await self.s.execute(query)).mappings()]

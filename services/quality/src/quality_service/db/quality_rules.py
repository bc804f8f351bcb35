"""SQL on quality rules (the caller's session: one transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quality_service.db.rows import Row, all_rows, first, unique_write
from quality_service.db.tables import quality_rules


class QualityRules:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, values: dict[str, Any]) -> Row:
        taken = f"{values['object_ref']} already has a quality rule named {values['name']!r}"
        statement = insert(quality_rules).values(**values).returning(quality_rules)
        return await unique_write(self.s, statement, taken)

    async def get(self, rule_id: int, *, for_update: bool = False) -> Row | None:
        query = select(quality_rules).where(quality_rules.c.id == rule_id)
        return await first(self.s, query.with_for_update() if for_update else query)

    async def of_object(
        self, object_urn: str, *, column: str = "", enabled_only: bool = False
    ) -> list[Row]:
        query = (
            select(quality_rules)
            .where(quality_rules.c.object_urn == object_urn)
            .order_by(quality_rules.c.id)
        )
        if column:
            query = query.where(quality_rules.c.column_name == column)
        if enabled_only:
            query = query.where(quality_rules.c.enabled)
        return await all_rows(self.s, query)

    async def update(self, rule_id: int, values: dict[str, Any]) -> Row:
        statement = (
            update(quality_rules)
            .where(quality_rules.c.id == rule_id)
            .values(**values, updated_at=func.now())
            .returning(quality_rules)
        )
        taken = f"another rule of this object is named {values.get('name')!r}"
        return await unique_write(self.s, statement, taken)

    async def delete(self, rule_id: int) -> None:
        await self.s.execute(delete(quality_rules).where(quality_rules.c.id == rule_id))

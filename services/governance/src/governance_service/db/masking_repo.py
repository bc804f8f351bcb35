"""SQL of masking rules. Methods take the caller's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.errors import AlreadyExists
from governance_service.db.tables import masking_rules

Row = RowMapping


class MaskingRuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, values: dict[str, Any]) -> Row:
        query = insert(masking_rules).values(**values).returning(masking_rules)
        return await self._write(query, values)

    async def get(self, rule_id: int, *, for_update: bool = False) -> Row | None:
        query = select(masking_rules).where(masking_rules.c.id == rule_id)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def update(self, rule_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(masking_rules)
            .where(masking_rules.c.id == rule_id)
            .values(**values, updated_at=func.now())
            .returning(masking_rules)
        )
        return await self._write(query, values)

    async def delete(self, rule_id: int) -> None:
        await self.s.execute(delete(masking_rules).where(masking_rules.c.id == rule_id))

    async def enabled_on(self, object_ref: str, column: str) -> Row | None:
        """The enabled rule masking this column, if any."""
        query = select(masking_rules).where(
            masking_rules.c.object_ref == object_ref,
            masking_rules.c.column == column,
            masking_rules.c.enabled,
        )
        return (await self.s.execute(query)).mappings().first()

    async def of_object(
        self, object_: str, column: str = "", *, enabled_only: bool = False
    ) -> list[Row]:
        """Rules of one object (by URN or ref; every object when empty), optionally of one
        column, by column then id."""
        query = select(masking_rules)
        if object_:
            query = query.where(
                or_(masking_rules.c.object_urn == object_, masking_rules.c.object_ref == object_)
            )
        if column:
            query = query.where(func.lower(masking_rules.c.column) == column.lower())
        if enabled_only:
            query = query.where(masking_rules.c.enabled)
        query = query.order_by(
            masking_rules.c.object_ref, masking_rules.c.column, masking_rules.c.id
        )
        return list((await self.s.execute(query)).mappings())

    async def _write(self, query: Any, values: dict[str, Any]) -> Row:
        # The only constraint besides the key is "one enabled rule per column" (a concurrent
        # writer got there first: the use case checks before writing).
        try:
            async with self.s.begin_nested():
                return (await self.s.execute(query)).mappings().one()
        except IntegrityError as exc:
            column = values.get("column", "the column")
            raise AlreadyExists(f"column: {column} already has an enabled masking rule") from exc

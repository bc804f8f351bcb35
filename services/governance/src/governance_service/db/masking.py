"""SQL of masking rules. Methods take the unit of work's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record, row_values
from dckit.errors import AlreadyExists
from governance_service.db.tables import masking_rules
from governance_service.domain.masking_rules import MaskingRule, MaskingRuleSpec

STAMPED = {"id", "created_at", "updated_at"}


class MaskingRuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, rule: MaskingRule) -> MaskingRule:
        values = row_values(masking_rules, rule, skip=STAMPED)
        return await self._write(insert(masking_rules).values(**values), rule.column)

    async def get(self, rule_id: int, *, for_update: bool = False) -> MaskingRule | None:
        query = select(masking_rules).where(masking_rules.c.id == rule_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.s.execute(query)).mappings().first()
        return record(MaskingRule, row) if row is not None else None

    async def update(
        self, rule: MaskingRule, spec: MaskingRuleSpec, updated_by: str
    ) -> MaskingRule:
        values = row_values(
            masking_rules, spec, skip=STAMPED, updated_by=updated_by, updated_at=func.now()
        )
        query = update(masking_rules).where(masking_rules.c.id == rule.id).values(**values)
        return await self._write(query, rule.column)

    async def delete(self, rule_id: int) -> None:
        await self.s.execute(delete(masking_rules).where(masking_rules.c.id == rule_id))

    async def enabled_on(self, object_ref: str, *, column: str) -> MaskingRule | None:
        """The enabled rule masking this column, if any."""
        query = select(masking_rules).where(
            masking_rules.c.object_ref == object_ref,
            masking_rules.c.column == column,
            masking_rules.c.enabled,
        )
        row = (await self.s.execute(query)).mappings().first()
        return record(MaskingRule, row) if row is not None else None

    async def of_object(
        self, object_: str, *, column: str = "", enabled_only: bool = False
    ) -> list[MaskingRule]:
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
        return [record(MaskingRule, r) for r in (await self.s.execute(query)).mappings()]

    async def _write(self, query: Any, column: str) -> MaskingRule:
        # The only constraint besides the key is "one enabled rule per column" (a concurrent
        # writer got there first: the use case checks before writing).
        try:
            async with self.s.begin_nested():
                row = (await self.s.execute(query.returning(masking_rules))).mappings().one()
                return record(MaskingRule, row)
        except IntegrityError as exc:
            raise AlreadyExists(f"column: {column} already has an enabled masking rule") from exc

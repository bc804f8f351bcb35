"""SQL of classifications and classification rules. Methods take the unit of work's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record, row_values
from dckit.errors import AlreadyExists
from governance_service.db.tables import classification_rules as rules
from governance_service.db.tables import classifications as cls
from governance_service.domain.classification import Classification
from governance_service.domain.classification_rules import ClassificationRule, RuleSpec


def _classification(row: RowMapping) -> Classification:
    return record(Classification, row, column=row["column_name"])


def _rule(row: RowMapping | None) -> ClassificationRule | None:
    return record(ClassificationRule, row) if row is not None else None


class ClassificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ classifications
    async def of_object(self, urn: str, *, for_update: bool = False) -> list[Classification]:
        query = select(cls).where(cls.c.object_urn == urn).order_by(cls.c.column_name)
        if for_update:
            query = query.with_for_update()
        return [_classification(r) for r in (await self.s.execute(query)).mappings()]

    async def upsert(self, target: Classification) -> Classification:
        """Writes the classification of its object or column, stamped now."""
        values = row_values(
            cls, target, skip={"id"}, column_name=target.column, classified_at=func.now()
        )
        existing = (
            await self.s.execute(
                select(cls.c.id).where(
                    cls.c.object_urn == target.object_urn, cls.c.column_name == target.column
                )
            )
        ).scalar()
        if existing is None:
            query: Any = insert(cls).values(**values)
        else:
            query = update(cls).where(cls.c.id == existing).values(**values)
        return _classification((await self.s.execute(query.returning(cls))).mappings().one())

    async def remove(self, classification_id: int) -> None:
        await self.s.execute(delete(cls).where(cls.c.id == classification_id))

    async def page(
        self, *, level: str, source_name: str, offset: int, count: int
    ) -> list[Classification]:
        query = select(cls)
        if level:
            query = query.where(cls.c.level == level)
        if source_name:
            query = query.where(cls.c.source_name == source_name)
        query = query.order_by(cls.c.object_ref, cls.c.column_name).offset(offset).limit(count)
        return [_classification(r) for r in (await self.s.execute(query)).mappings()]

    # ------------------------------------------------------------ rules
    async def rules(self, *, enabled_only: bool = False) -> list[ClassificationRule]:
        query = select(rules).order_by(rules.c.priority.desc(), rules.c.name)
        if enabled_only:
            query = query.where(rules.c.enabled)
        return [record(ClassificationRule, r) for r in (await self.s.execute(query)).mappings()]

    async def rule(self, rule_id: int, *, for_update: bool = False) -> ClassificationRule | None:
        query = select(rules).where(rules.c.id == rule_id)
        if for_update:
            query = query.with_for_update()
        return _rule((await self.s.execute(query)).mappings().first())

    async def rule_by_name(self, name: str) -> ClassificationRule | None:
        query = select(rules).where(rules.c.name == name).with_for_update()
        return _rule((await self.s.execute(query)).mappings().first())

    async def insert_rule(self, spec: RuleSpec, created_by: str) -> ClassificationRule:
        values = row_values(rules, spec, created_by=created_by)
        return await self._write_rule(insert(rules).values(**values), spec.name)

    async def update_rule(self, rule_id: int, spec: RuleSpec) -> ClassificationRule:
        values = row_values(rules, spec, updated_at=func.now())
        query = update(rules).where(rules.c.id == rule_id).values(**values)
        return await self._write_rule(query, spec.name)

    async def _write_rule(self, query: Any, name: str) -> ClassificationRule:
        try:
            async with self.s.begin_nested():
                row = (await self.s.execute(query.returning(rules))).mappings().one()
                return record(ClassificationRule, row)
        except IntegrityError as exc:
            raise AlreadyExists(f"a rule named {name!r} already exists") from exc

    async def delete_rule(self, rule_id: int) -> None:
        await self.s.execute(delete(rules).where(rules.c.id == rule_id))

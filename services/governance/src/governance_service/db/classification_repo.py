"""SQL of classifications and classification rules. Methods take the caller's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.errors import AlreadyExists
from governance_service.db.tables import classification_rules as rules
from governance_service.db.tables import classifications as cls

Row = RowMapping


class ClassificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ classifications
    async def of_object(self, urn: str, *, for_update: bool = False) -> list[Row]:
        query = select(cls).where(cls.c.object_urn == urn).order_by(cls.c.column_name)
        if for_update:
            query = query.with_for_update()
        return list((await self.s.execute(query)).mappings())

    async def upsert(self, values: dict[str, Any]) -> Row:
        existing = (
            await self.s.execute(
                select(cls.c.id).where(
                    cls.c.object_urn == values["object_urn"],
                    cls.c.column_name == values["column_name"],
                )
            )
        ).scalar()
        stamped = {**values, "classified_at": func.now()}
        if existing is None:
            result = await self.s.execute(insert(cls).values(**stamped).returning(cls))
        else:
            result = await self.s.execute(
                update(cls).where(cls.c.id == existing).values(**stamped).returning(cls)
            )
        return result.mappings().one()

    async def remove(self, row_id: int) -> None:
        await self.s.execute(delete(cls).where(cls.c.id == row_id))

    async def page(self, level: str, source_name: str, offset: int, limit: int) -> list[Row]:
        query = select(cls)
        if level:
            query = query.where(cls.c.level == level)
        if source_name:
            query = query.where(cls.c.source_name == source_name)
        query = query.order_by(cls.c.object_ref, cls.c.column_name).offset(offset).limit(limit + 1)
        return list((await self.s.execute(query)).mappings())

    # ------------------------------------------------------------ rules
    async def rules(self, *, enabled_only: bool = False) -> list[Row]:
        query = select(rules).order_by(rules.c.priority.desc(), rules.c.name)
        if enabled_only:
            query = query.where(rules.c.enabled)
        return list((await self.s.execute(query)).mappings())

    async def rule(self, rule_id: int, *, for_update: bool = False) -> Row | None:
        query = select(rules).where(rules.c.id == rule_id)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def rule_by_name(self, name: str) -> Row | None:
        query = select(rules).where(rules.c.name == name).with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def insert_rule(self, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                query = insert(rules).values(**values).returning(rules)
                return (await self.s.execute(query)).mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"a rule named {values['name']!r} already exists") from exc

    async def update_rule(self, rule_id: int, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                query = (
                    update(rules)
                    .where(rules.c.id == rule_id)
                    .values(**values, updated_at=func.now())
                    .returning(rules)
                )
                return (await self.s.execute(query)).mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"a rule named {values.get('name')!r} already exists") from exc

    async def delete_rule(self, rule_id: int) -> None:
        await self.s.execute(delete(rules).where(rules.c.id == rule_id))

"""SQL on the subscription rules table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record
from dckit.errors import AlreadyExists
from notifier_service.db.tables import rules
from notifier_service.domain.rules import Rule


def _rule(row: Mapping[Any, Any]) -> Rule:
    return record(Rule, row)


def _exists(values: Mapping[str, Any]) -> AlreadyExists:
    return AlreadyExists(f"a rule named {values.get('name')!r} already exists")


class Rules:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, values: Mapping[str, Any]) -> Rule:
        try:
            async with self.s.begin_nested():
                res = await self.s.execute(insert(rules).values(**values).returning(rules))
                return _rule(res.mappings().one())
        except IntegrityError as exc:
            raise _exists(values) from exc

    async def get(self, rule_id: int, *, for_update: bool = False) -> Rule | None:
        query = select(rules).where(rules.c.id == rule_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.s.execute(query)).mappings().first()
        return None if row is None else _rule(row)

    async def update(self, rule_id: int, values: Mapping[str, Any]) -> Rule:
        try:
            async with self.s.begin_nested():
                query = (
                    update(rules)
                    .where(rules.c.id == rule_id)
                    .values(**values, updated_at=func.now())
                    .returning(rules)
                )
                return _rule((await self.s.execute(query)).mappings().one())
        except IntegrityError as exc:
            raise _exists(values) from exc

    async def delete(self, rule_id: int) -> None:
        await self.s.execute(delete(rules).where(rules.c.id == rule_id))

    async def page(self, *, offset: int, limit: int) -> list[Rule]:
        query = select(rules).order_by(rules.c.id).offset(offset).limit(limit)
        return [_rule(r) for r in (await self.s.execute(query)).mappings()]

    async def subscribed(self, event_type: str) -> list[Rule]:
        query = (
            select(rules)
            .where(rules.c.enabled, rules.c.event_types.contains([event_type]))
            .order_by(rules.c.id)
        )
        return [_rule(r) for r in (await self.s.execute(query)).mappings()]

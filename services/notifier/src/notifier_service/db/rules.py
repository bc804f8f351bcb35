"""SQL on the subscription rules table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import TableRows, record
from notifier_service.db.tables import rules
from notifier_service.domain.rules import Rule


def _rule(row: Mapping[Any, Any]) -> Rule:
    return record(Rule, row)


class Rules(TableRows[Rule]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(
            session,
            rules,
            _rule,
            conflict=lambda values: f"a rule named {values.get('name')!r} already exists",
            touch="updated_at",
        )

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

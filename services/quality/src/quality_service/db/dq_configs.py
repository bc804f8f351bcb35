"""SQL on DQ configs and their expectations (the caller's session: one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quality_service.db.rows import Row, all_rows, first, one, unique_write
from quality_service.db.tables import dq_configs, dq_expectations


class DqConfigs:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ configs
    async def insert(self, values: dict[str, Any]) -> Row:
        statement = insert(dq_configs).values(**values).returning(dq_configs)
        taken = f"{values['object_ref']} already has a DQ config"
        return await unique_write(self.s, statement, taken)

    async def get(self, config_id: int, *, for_update: bool = False) -> Row | None:
        query = select(dq_configs).where(dq_configs.c.id == config_id)
        return await first(self.s, query.with_for_update() if for_update else query)

    async def of_object(self, object_urn: str) -> Row | None:
        return await first(self.s, select(dq_configs).where(dq_configs.c.object_urn == object_urn))

    async def page(self, object_urn: str | None, offset: int, limit: int) -> list[Row]:
        """Configs by id; `object_urn` None: every object's."""
        query = select(dq_configs).order_by(dq_configs.c.id).offset(offset).limit(limit)
        if object_urn is not None:
            query = query.where(dq_configs.c.object_urn == object_urn)
        return await all_rows(self.s, query)

    async def update(self, config_id: int, values: dict[str, Any]) -> Row:
        return await one(
            self.s,
            update(dq_configs)
            .where(dq_configs.c.id == config_id)
            .values(**values, updated_at=func.now())
            .returning(dq_configs),
        )

    async def delete(self, config_id: int) -> None:
        await self.s.execute(delete(dq_configs).where(dq_configs.c.id == config_id))

    # ------------------------------------------------------------ expectations
    async def insert_expectation(self, values: dict[str, Any]) -> Row:
        col = f" on {values['column_name']}" if values.get("column_name") else ""
        taken = f"this config already has a {values['metric_type']} expectation{col}"
        statement = insert(dq_expectations).values(**values).returning(dq_expectations)
        return await unique_write(self.s, statement, taken)

    async def get_expectation(self, expectation_id: int, *, for_update: bool = False) -> Row | None:
        query = select(dq_expectations).where(dq_expectations.c.id == expectation_id)
        return await first(self.s, query.with_for_update() if for_update else query)

    async def expectations(self, config_ids: Sequence[int]) -> list[Row]:
        query = (
            select(dq_expectations)
            .where(dq_expectations.c.config_id.in_(list(config_ids)))
            .order_by(dq_expectations.c.id)
        )
        return await all_rows(self.s, query)

    async def update_expectation(self, expectation_id: int, values: dict[str, Any]) -> Row:
        return await one(
            self.s,
            update(dq_expectations)
            .where(dq_expectations.c.id == expectation_id)
            .values(**values, updated_at=func.now())
            .returning(dq_expectations),
        )

    async def delete_expectation(self, expectation_id: int) -> None:
        await self.s.execute(delete(dq_expectations).where(dq_expectations.c.id == expectation_id))

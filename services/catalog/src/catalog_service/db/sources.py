"""SQL of data sources. Methods run in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.tables import objects, sources
from dckit.db import fetch_all, fetch_first, fetch_one
from dckit.errors import AlreadyExists

Record = dict[str, Any]


class SourceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, name: str, *, for_update: bool = False) -> Record | None:
        query = select(sources).where(sources.c.name == name)
        if for_update:
            query = query.with_for_update()
        return await fetch_first(self.s, query)

    async def page(self, offset: int, count: int) -> list[Record]:
        return await fetch_all(
            self.s, select(sources).order_by(sources.c.name).offset(offset).limit(count)
        )

    async def insert(self, values: Mapping[str, Any]) -> Record:
        try:
            async with self.s.begin_nested():
                return await fetch_one(self.s, insert(sources).values(**values).returning(sources))
        except IntegrityError as exc:
            raise AlreadyExists(f"source {values['name']!r} already exists") from exc

    async def update(self, source_id: int, values: Mapping[str, Any]) -> Record:
        query = (
            update(sources)
            .where(sources.c.id == source_id)
            .values(**values, updated_at=func.now())
            .returning(sources)
        )
        return await fetch_one(self.s, query)

    async def delete(self, source_id: int) -> int:
        count = await self.s.scalar(
            select(func.count()).select_from(objects).where(objects.c.source_id == source_id)
        )
        await self.s.execute(delete(sources).where(sources.c.id == source_id))
        return int(count or 0)

"""SQL on the channels table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record
from dckit.errors import AlreadyExists
from notifier_service.db.tables import channels
from notifier_service.domain.channels import Channel


def _channel(row: Mapping[Any, Any]) -> Channel:
    return record(Channel, row, secrets_set=row["secret_keys"], sealed=row["secrets"])


def _exists(values: Mapping[str, Any]) -> AlreadyExists:
    return AlreadyExists(f"a channel named {values.get('name')!r} already exists")


class Channels:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, values: Mapping[str, Any]) -> Channel:
        try:
            async with self.s.begin_nested():
                res = await self.s.execute(insert(channels).values(**values).returning(channels))
                return _channel(res.mappings().one())
        except IntegrityError as exc:
            raise _exists(values) from exc

    async def get(self, channel_id: int, *, for_update: bool = False) -> Channel | None:
        query = select(channels).where(channels.c.id == channel_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.s.execute(query)).mappings().first()
        return None if row is None else _channel(row)

    async def update(self, channel_id: int, values: Mapping[str, Any]) -> Channel:
        try:
            async with self.s.begin_nested():
                query = (
                    update(channels)
                    .where(channels.c.id == channel_id)
                    .values(**values, updated_at=func.now())
                    .returning(channels)
                )
                return _channel((await self.s.execute(query)).mappings().one())
        except IntegrityError as exc:
            raise _exists(values) from exc

    async def delete(self, channel_id: int) -> None:
        await self.s.execute(delete(channels).where(channels.c.id == channel_id))

    async def page(self, *, channel_type: str, offset: int, limit: int) -> list[Channel]:
        query = select(channels).order_by(channels.c.id).offset(offset).limit(limit)
        if channel_type:
            query = query.where(channels.c.channel_type == channel_type)
        return [_channel(r) for r in (await self.s.execute(query)).mappings()]

    async def existing(self, ids: Sequence[int]) -> set[int]:
        query = select(channels.c.id).where(channels.c.id.in_(list(ids)))
        return set((await self.s.execute(query)).scalars().all())

    async def enabled(self, ids: Sequence[int]) -> list[int]:
        query = (
            select(channels.c.id)
            .where(channels.c.id.in_(list(ids)), channels.c.enabled)
            .order_by(channels.c.id)
        )
        return list((await self.s.execute(query)).scalars().all())

    async def by_id(self, ids: Sequence[int]) -> dict[int, Channel]:
        query = select(channels).where(channels.c.id.in_(list(ids)))
        return {r["id"]: _channel(r) for r in (await self.s.execute(query)).mappings()}

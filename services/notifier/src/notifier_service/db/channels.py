"""SQL on the channels table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import TableRows, record
from notifier_service.db.tables import channels
from notifier_service.domain.channels import Channel


def _channel(row: Mapping[Any, Any]) -> Channel:
    return record(Channel, row, secrets_set=row["secret_keys"], sealed=row["secrets"])


class Channels(TableRows[Channel]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(
            session,
            channels,
            _channel,
            conflict=lambda values: f"a channel named {values.get('name')!r} already exists",
            touch="updated_at",
        )

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

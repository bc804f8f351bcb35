"""SQL on the rate-limit windows of notices (per rule and object)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record
from notifier_service.db.tables import rate_windows
from notifier_service.domain.notices import Window


class Windows:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def lock(self, key: str) -> None:
        """Serialise planning for one rule and object across consumers and replicas."""
        await self.s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})

    async def current(self, rule_id: int, object_key: str) -> Window | None:
        query = (
            select(rate_windows)
            .where(
                rate_windows.c.rule_id == rule_id,
                rate_windows.c.object_key == object_key,
                rate_windows.c.ends_at > func.clock_timestamp(),
            )
            .order_by(rate_windows.c.ends_at.desc())
            .limit(1)
        )
        row = (await self.s.execute(query)).mappings().first()
        return None if row is None else record(Window, row)

    async def open(self, rule_id: int, *, object_key: str, seconds: int, dedupe_key: str) -> None:
        now = func.clock_timestamp()
        await self.s.execute(
            insert(rate_windows).values(
                rule_id=rule_id,
                object_key=object_key,
                started_at=now,
                ends_at=now + timedelta(seconds=seconds),
                seen_keys=[dedupe_key] if dedupe_key else [],
            )
        )

    async def fold(self, window_id: int, dedupe_key: str, notice: Mapping[str, Any]) -> None:
        await self.s.execute(
            update(rate_windows)
            .where(rate_windows.c.id == window_id)
            .values(
                # jsonb || jsonb-array appends; literal(..., JSONB) gives asyncpg the type.
                seen_keys=rate_windows.c.seen_keys.op("||")(literal([dedupe_key], JSONB)),
                folded=rate_windows.c.folded.op("||")(literal([dict(notice)], JSONB)),
            )
        )

    async def get(self, window_id: int) -> Window | None:
        query = select(rate_windows).where(rate_windows.c.id == window_id)
        row = (await self.s.execute(query)).mappings().first()
        return None if row is None else record(Window, row)

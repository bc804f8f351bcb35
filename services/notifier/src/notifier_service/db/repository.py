"""All SQL on the notifier's own tables. Methods take the caller's session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.errors import AlreadyExists
from notifier_service.db.tables import (
    channels,
    deliveries,
    notification_log,
    rate_windows,
    rules,
)

Row = RowMapping


class NotifierRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ channels / rules (CRUD)
    async def insert(self, kind: str, values: dict[str, Any]) -> Row:
        table = channels if kind == "channel" else rules
        try:
            async with self.s.begin_nested():
                res = await self.s.execute(insert(table).values(**values).returning(table))
                return res.mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"a {kind} named {values['name']!r} already exists") from exc

    async def get(self, kind: str, row_id: int, *, for_update: bool = False) -> Row | None:
        table = channels if kind == "channel" else rules
        query = select(table).where(table.c.id == row_id)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def update(self, kind: str, row_id: int, values: dict[str, Any]) -> Row:
        table = channels if kind == "channel" else rules
        try:
            async with self.s.begin_nested():
                query = (
                    update(table)
                    .where(table.c.id == row_id)
                    .values(**values, updated_at=func.now())
                    .returning(table)
                )
                return (await self.s.execute(query)).mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"a {kind} named {values.get('name')!r} already exists") from exc

    async def delete(self, kind: str, row_id: int) -> None:
        table = channels if kind == "channel" else rules
        await self.s.execute(delete(table).where(table.c.id == row_id))

    async def list_channels(self, channel_type: str, offset: int, limit: int) -> Sequence[Row]:
        query = select(channels).order_by(channels.c.id).offset(offset).limit(limit)
        if channel_type:
            query = query.where(channels.c.channel_type == channel_type)
        return (await self.s.execute(query)).mappings().all()

    async def list_rules(self, offset: int, limit: int) -> Sequence[Row]:
        query = select(rules).order_by(rules.c.id).offset(offset).limit(limit)
        return (await self.s.execute(query)).mappings().all()

    async def existing_channels(self, ids: Sequence[int]) -> set[int]:
        query = select(channels.c.id).where(channels.c.id.in_(list(ids)))
        return set((await self.s.execute(query)).scalars().all())

    # ------------------------------------------------------------ planning
    async def rules_for(self, event_type: str) -> Sequence[Row]:
        query = (
            select(rules)
            .where(rules.c.enabled, rules.c.event_types.contains([event_type]))
            .order_by(rules.c.id)
        )
        return (await self.s.execute(query)).mappings().all()

    async def enabled_channels(self, ids: Sequence[int]) -> list[int]:
        query = (
            select(channels.c.id)
            .where(channels.c.id.in_(list(ids)), channels.c.enabled)
            .order_by(channels.c.id)
        )
        return list((await self.s.execute(query)).scalars().all())

    async def lock_key(self, key: str) -> None:
        """Serialise planning for one rule and object across consumers and replicas."""
        await self.s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})

    async def current_window(self, rule_id: int, object_key: str) -> Row | None:
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
        return (await self.s.execute(query)).mappings().first()

    async def open_window(self, rule_id: int, object_key: str, seconds: int, key: str) -> None:
        now = func.clock_timestamp()
        await self.s.execute(
            insert(rate_windows).values(
                rule_id=rule_id,
                object_key=object_key,
                started_at=now,
                ends_at=now + timedelta(seconds=seconds),
                seen_keys=[key] if key else [],
            )
        )

    async def fold(self, window_id: int, key: str, notice: dict[str, Any]) -> None:
        await self.s.execute(
            update(rate_windows)
            .where(rate_windows.c.id == window_id)
            .values(
                # jsonb || jsonb-array appends; literal(..., JSONB) gives asyncpg the type.
                seen_keys=rate_windows.c.seen_keys.op("||")(literal([key], JSONB)),
                folded=rate_windows.c.folded.op("||")(literal([notice], JSONB)),
            )
        )

    async def window(self, window_id: int) -> Row | None:
        query = select(rate_windows).where(rate_windows.c.id == window_id)
        return (await self.s.execute(query)).mappings().first()

    async def plan(self, values: list[dict[str, Any]]) -> int:
        """Insert deliveries; an (event, channel) pair already planned is left alone."""
        if not values:
            return 0
        res = await self.s.execute(
            pg_insert(deliveries)
            .values(values)
            .on_conflict_do_nothing(constraint="uq_deliveries_event_channel")
            .returning(deliveries.c.id)
        )
        return len(res.all())

    # ------------------------------------------------------------ sending
    async def claim(self, limit: int, lease_seconds: float, include_expired: bool) -> Sequence[Row]:
        now = func.clock_timestamp()
        due = and_(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
        if include_expired:
            due = or_(due, and_(deliveries.c.status == "sending", deliveries.c.lease_until < now))
        ids = (
            select(deliveries.c.id)
            .where(due)
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        query = (
            update(deliveries)
            .where(deliveries.c.id.in_(ids.scalar_subquery()))
            .values(
                status="sending",
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=deliveries.c.attempts + 1,
            )
            .returning(deliveries)
        )
        return (await self.s.execute(query)).mappings().all()

    async def claim_expired(self, limit: int) -> Sequence[Row]:
        """Deliveries whose sender died mid-send (outcome unknown), locked for the caller."""
        query = (
            select(deliveries)
            .where(
                deliveries.c.status == "sending",
                deliveries.c.lease_until < func.clock_timestamp(),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.s.execute(query)).mappings().all()

    async def channels_by_id(self, ids: Sequence[int]) -> dict[int, Row]:
        query = select(channels).where(channels.c.id.in_(list(ids)))
        return {r["id"]: r for r in (await self.s.execute(query)).mappings().all()}

    async def finish(
        self, delivery: Row, status: str, *, error: str = "", retry_at: datetime | None = None
    ) -> bool:
        """Record the outcome unless the lease was lost (another sender took the delivery)."""
        values: dict[str, Any] = {"status": status, "lease_until": None, "last_error": error}
        if status == "sent":
            values["sent_at"] = func.clock_timestamp()
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        res = await self.s.execute(
            update(deliveries)
            .where(
                deliveries.c.id == delivery["id"],
                deliveries.c.status == "sending",
                deliveries.c.attempts == delivery["attempts"],
            )
            .values(**values)
            .returning(deliveries.c.id)
        )
        return res.first() is not None

    async def log(self, values: dict[str, Any]) -> None:
        await self.s.execute(insert(notification_log).values(**values))

    async def list_log(
        self, channel_id: int, status: str, event_type: str, delivery_id: int, offset: int,
        limit: int,
    ) -> Sequence[Row]:  # fmt: skip
        query = select(notification_log).order_by(notification_log.c.id.desc())
        if channel_id:
            query = query.where(notification_log.c.channel_id == channel_id)
        if status:
            query = query.where(notification_log.c.status == status)
        if event_type:
            query = query.where(notification_log.c.event_type == event_type)
        if delivery_id:
            query = query.where(notification_log.c.delivery_id == delivery_id)
        return (await self.s.execute(query.offset(offset).limit(limit))).mappings().all()

"""SQL on deliveries (planning, claiming with a lease, outcomes) and the attempt log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record
from notifier_service.db.tables import deliveries, notification_log
from notifier_service.domain.deliveries import AttemptStatus, Delivery, LogEntry


def _delivery(row: Mapping[Any, Any]) -> Delivery:
    return record(Delivery, row)


def _entry(row: Mapping[Any, Any]) -> LogEntry:
    return record(LogEntry, row, status=AttemptStatus(row["status"]))


class Deliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def plan(self, values: Sequence[Mapping[str, Any]]) -> int:
        """Insert deliveries; an (event, channel) pair already planned is left alone."""
        if not values:
            return 0
        res = await self.s.execute(
            pg_insert(deliveries)
            .values([dict(v) for v in values])
            .on_conflict_do_nothing(constraint="uq_deliveries_event_channel")
            .returning(deliveries.c.id)
        )
        return len(res.all())

    async def claim(
        self, *, limit: int, lease_seconds: float, include_expired: bool
    ) -> list[Delivery]:
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
        return [_delivery(r) for r in (await self.s.execute(query)).mappings()]

    async def claim_expired(self, limit: int) -> list[Delivery]:
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
        return [_delivery(r) for r in (await self.s.execute(query)).mappings()]

    async def finish(
        self,
        delivery: Delivery,
        status: str,
        *,
        error: str = "",
        retry_at: datetime | None = None,
    ) -> bool:
        """Record the outcome unless the lease was lost (another sender took the delivery)."""
        values: dict[str, Any] = {"status": status, "lease_until": None, "last_error": error}
        if status == AttemptStatus.SENT:
            values["sent_at"] = func.clock_timestamp()
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        res = await self.s.execute(
            update(deliveries)
            .where(
                deliveries.c.id == delivery.id,
                deliveries.c.status == "sending",
                deliveries.c.attempts == delivery.attempts,
            )
            .values(**values)
            .returning(deliveries.c.id)
        )
        return res.first() is not None

    async def log(self, values: Mapping[str, Any]) -> None:
        await self.s.execute(insert(notification_log).values(**values))

    async def page_log(
        self,
        *,
        channel_id: int,
        status: str,
        event_type: str,
        delivery_id: int,
        offset: int,
        limit: int,
    ) -> list[LogEntry]:
        log = notification_log
        query = select(log).order_by(log.c.id.desc())
        if channel_id:
            query = query.where(log.c.channel_id == channel_id)
        if status:
            query = query.where(log.c.status == status)
        if event_type:
            query = query.where(log.c.event_type == event_type)
        if delivery_id:
            query = query.where(log.c.delivery_id == delivery_id)
        rows = (await self.s.execute(query.offset(offset).limit(limit))).mappings()
        return [_entry(r) for r in rows]

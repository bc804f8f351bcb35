"""Schedule CRUD: validate, compute next_run_at, store, audit, all in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dckit import context
from dckit.db import Database
from dckit.errors import NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from scheduler_service.db.repository import Row, SchedulerRepository
from scheduler_service.domain import schedules as rules

Clock = Callable[[], datetime]
AUDITED = (
    "name", "cron", "timezone", "task_type", "params", "enabled", "misfire_grace_seconds",
    "max_attempts",
)  # fmt: skip


@dataclass(frozen=True)
class ScheduleChanges:
    """Fields an update sets; None = unchanged."""

    name: str | None = None
    cron: str | None = None
    timezone: str | None = None
    task_type: str | None = None
    params: dict[str, Any] | None = None
    enabled: bool | None = None
    misfire_grace_seconds: int | None = None
    max_attempts: int | None = None


def snapshot(row: Row) -> dict[str, Any]:
    return {key: row[key] for key in AUDITED}


def _spec(row: Row) -> rules.ScheduleSpec:
    return rules.ScheduleSpec(**snapshot(row))


async def require_schedule(
    repo: SchedulerRepository, schedule_id: int, *, for_update: bool = False
) -> Row:
    row = await repo.get_schedule(schedule_id, for_update=for_update)
    if row is None:
        raise NotFound(f"schedule {schedule_id} does not exist")
    return row


class ScheduleUseCases:
    def __init__(self, db: Database, outbox: Outbox, clock: Clock) -> None:
        self.db, self.outbox, self.clock = db, outbox, clock

    def _next(self, spec: rules.ScheduleSpec) -> datetime | None:
        return rules.next_fire(spec.cron, spec.timezone, self.clock()) if spec.enabled else None

    async def create(self, spec: rules.ScheduleSpec) -> Row:
        spec = rules.validate(spec)
        async with self.db.session() as session:
            repo = SchedulerRepository(session)
            row = await repo.insert_schedule(
                {
                    **snapshot_of(spec),
                    "next_run_at": self._next(spec),
                    "created_by": context.current().actor,
                }
            )
            await self.outbox.audit(
                session,
                action="schedule.create",
                entity_type="schedule",
                entity_id=row["id"],
                changes=diff({}, snapshot(row)),
            )
        return row

    async def get(self, schedule_id: int) -> Row:
        async with self.db.session() as session:
            return await require_schedule(SchedulerRepository(session), schedule_id)

    async def page(self, task_type: str, limit: int, cursor: str) -> tuple[Sequence[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await SchedulerRepository(session).list_schedules(task_type, offset, limit + 1)
        return rows[:limit], next_cursor(offset, limit, len(rows[:limit]), len(rows) > limit)

    async def update(self, schedule_id: int, changes: ScheduleChanges) -> Row:
        async with self.db.session() as session:
            repo = SchedulerRepository(session)
            before = await require_schedule(repo, schedule_id, for_update=True)
            current = _spec(before)
            given = {k: v for k, v in vars(changes).items() if v is not None}
            if "task_type" in given and "params" not in given:
                given["params"] = {}  # a new task type needs its own params: say so
            spec = rules.validate(replace(current, **given))
            values: dict[str, Any] = {**snapshot_of(spec), "updated_at": self.clock()}
            timing = (spec.cron, spec.timezone, spec.enabled)
            if timing != (current.cron, current.timezone, current.enabled):
                # Recomputed from now: re-enabling never fires the slots missed while disabled.
                values["next_run_at"] = self._next(spec)
            row = await repo.update_schedule(schedule_id, values)
            changed = diff(snapshot(before), snapshot(row))
            if changed:
                await self.outbox.audit(
                    session,
                    action="schedule.update",
                    entity_type="schedule",
                    entity_id=schedule_id,
                    changes=changed,
                )
        return row

    async def delete(self, schedule_id: int) -> None:
        async with self.db.session() as session:
            repo = SchedulerRepository(session)
            before = await require_schedule(repo, schedule_id, for_update=True)
            await repo.delete_schedule(schedule_id)
            await self.outbox.audit(
                session,
                action="schedule.delete",
                entity_type="schedule",
                entity_id=schedule_id,
                changes=diff(snapshot(before), {}),
            )


def snapshot_of(spec: rules.ScheduleSpec) -> dict[str, Any]:
    return {key: getattr(spec, key) for key in AUDITED}

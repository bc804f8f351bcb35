"""Schedule CRUD: validate, compute next_run_at, store and audit, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from dckit import context
from dckit.clock import Clock
from dckit.errors import NotFound
from dckit.paging import paginate
from dckit.uow import Entity
from scheduler_service.application.ports import ScheduleStore, Transactions
from scheduler_service.application.tasks import TaskTypes
from scheduler_service.domain import schedules as rules
from scheduler_service.domain.schedules import Schedule, ScheduleSpec, snapshot


async def require_schedule(
    store: ScheduleStore, schedule_id: int, *, for_update: bool = False
) -> Schedule:
    found = await store.get(schedule_id, for_update=for_update)
    if found is None:
        raise NotFound(f"schedule {schedule_id} does not exist")
    return found


def _entity(schedule_id: int) -> Entity:
    return Entity("schedule", schedule_id)


class ScheduleUseCases:
    def __init__(self, tx: Transactions, tasks: TaskTypes, clock: Clock) -> None:
        self.tx, self.tasks, self.clock = tx, tasks, clock

    def _next(self, spec: ScheduleSpec) -> datetime | None:
        return rules.next_fire(spec.cron, spec.timezone, self.clock()) if spec.enabled else None

    async def create(self, spec: ScheduleSpec) -> Schedule:
        spec = rules.validate(spec, self.tasks.check)
        async with self.tx() as uow:
            created = await uow.schedules.insert(
                {
                    **snapshot(spec),
                    "next_run_at": self._next(spec),
                    "created_by": context.current().actor,
                }
            )
            await uow.record_change("schedule.create", _entity(created.id), None, snapshot(created))
        return created

    async def get(self, schedule_id: int) -> Schedule:
        async with self.tx() as uow:
            return await require_schedule(uow.schedules, schedule_id)

    async def page(self, *, task_type: str, limit: int, cursor: str) -> tuple[list[Schedule], str]:
        async with self.tx() as uow:
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.schedules.page(
                    task_type=task_type, offset=offset, limit=count
                ),
            )

    async def update(self, schedule_id: int, changes: Mapping[str, Any]) -> Schedule:
        """`changes`: new values of fields in domain.schedules.UPDATABLE."""
        async with self.tx() as uow:
            before = await require_schedule(uow.schedules, schedule_id, for_update=True)
            current = before.spec()
            given = dict(changes)
            if "task_type" in given and "params" not in given:
                given["params"] = {}  # a new task type needs its own params: say so
            spec = rules.validate(replace(current, **given), self.tasks.check)
            values: dict[str, Any] = {**snapshot(spec), "updated_at": self.clock()}
            timing = (spec.cron, spec.timezone, spec.enabled)
            if timing != (current.cron, current.timezone, current.enabled):
                # Recomputed from now: re-enabling never fires the slots missed while disabled.
                values["next_run_at"] = self._next(spec)
            after = await uow.schedules.update(schedule_id, values)
            if snapshot(before) != snapshot(after):
                await uow.record_change(
                    "schedule.update", _entity(schedule_id), snapshot(before), snapshot(after)
                )
        return after

    async def delete(self, schedule_id: int) -> None:
        async with self.tx() as uow:
            before = await require_schedule(uow.schedules, schedule_id, for_update=True)
            await uow.schedules.delete(schedule_id)
            await uow.record_change("schedule.delete", _entity(schedule_id), snapshot(before), None)

"""The scheduler's unit of work: one transaction with its stores, audit and events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dckit.outbox import Outbox
from dckit.uow import UnitOfWork
from scheduler_service.db.runs import Runs
from scheduler_service.db.schedules import Schedules


class SchedulerUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox)
        self.schedules = Schedules(session)
        self.runs = Runs(session)

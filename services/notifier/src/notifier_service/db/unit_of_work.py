"""The notifier's unit of work: one transaction with its stores and audit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dckit.outbox import Outbox
from dckit.uow import UnitOfWork
from notifier_service.db.channels import Channels
from notifier_service.db.deliveries import Deliveries
from notifier_service.db.notices import Windows
from notifier_service.db.rules import Rules


class NotifierUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox)
        self.channels = Channels(session)
        self.rules = Rules(session)
        self.windows = Windows(session)
        self.deliveries = Deliveries(session)

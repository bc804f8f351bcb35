"""The quality unit of work: one transaction with the outbox (dckit.uow) and every quality
repository bound to it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dckit.outbox import Outbox
from dckit.uow import UnitOfWork
from quality_service.db.dq_breaches import DqBreaches
from quality_service.db.dq_configs import DqConfigs
from quality_service.db.dq_results import DqResults
from quality_service.db.dq_runs import DqRuns
from quality_service.db.object_urns import ObjectUrns
from quality_service.db.profiles import Profiles
from quality_service.db.quality_checks import QualityChecks
from quality_service.db.quality_rules import QualityRules


class QualityUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox)
        self.dq_configs = DqConfigs(session)
        self.dq_runs = DqRuns(session)
        self.dq_results = DqResults(session)
        self.dq_breaches = DqBreaches(session)
        self.quality_rules = QualityRules(session)
        self.quality_checks = QualityChecks(session)
        self.profiles = Profiles(session)
        self.object_urns = ObjectUrns(session)

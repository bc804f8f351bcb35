"""One transaction of the governance service with its repositories (the application sees it
through `application.ports.Unit`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dckit.outbox import Outbox
from dckit.uow import UnitOfWork
from governance_service.db.audit import AuditRepository
from governance_service.db.classification import ClassificationRepository
from governance_service.db.identity import IdentityRepository
from governance_service.db.masking import MaskingRuleRepository
from governance_service.db.ownership import OwnershipRepository
from governance_service.db.policies import PolicyRepository


class GovernanceUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox)
        self.identity = IdentityRepository(session)
        self.audit_trail = AuditRepository(session)
        self.classifications = ClassificationRepository(session)
        self.ownership = OwnershipRepository(session)
        self.policies = PolicyRepository(session)
        self.masking_rules = MaskingRuleRepository(session)

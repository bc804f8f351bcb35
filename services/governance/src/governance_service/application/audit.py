"""The audit trail: stores every service's audit records (consumed from the event stream,
exactly once per record) and answers filtered, paginated queries. Nothing updates or deletes."""

from __future__ import annotations

from dckit.paging import paginate
from governance_service.application.ports import Transactions, Unit
from governance_service.domain.audit import AuditEntry, AuditFilter


class AuditTrail:
    def __init__(self, tx: Transactions) -> None:
        self.tx = tx

    async def store(self, uow: Unit, entry: AuditEntry) -> None:
        """Within the consumer's transaction (which also marks the event processed)."""
        await uow.audit_trail.insert(entry)

    async def page(
        self, where: AuditFilter, limit: int, cursor: str
    ) -> tuple[list[AuditEntry], str]:
        where = where.check()
        async with self.tx() as uow:
            return await paginate(
                limit, cursor, lambda offset, count: uow.audit_trail.page(where, offset, count)
            )

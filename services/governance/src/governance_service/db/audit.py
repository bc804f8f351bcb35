"""SQL of the audit trail (append-only: a trigger refuses UPDATE and DELETE)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record
from governance_service.db.tables import audit_events
from governance_service.domain.audit import AuditEntry, AuditFilter


def _entry(row: RowMapping) -> AuditEntry:
    context = row["context"] or {}
    return record(
        AuditEntry,
        row,
        time=row["timestamp"],
        actor=row["user_id"],
        changes=row["changes"] or {},
        request_id=context.get("request_id", ""),
        client_ip=context.get("ip", ""),
        user_agent=context.get("user_agent", ""),
        change_set_id=context.get("change_set", ""),
    )


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(self, entry: AuditEntry) -> bool:
        """Insert once: a record seen before (same event id) is ignored. True if inserted."""
        values = {
            "event_id": entry.event_id,
            "timestamp": entry.time,
            "service": entry.service,
            "user_id": entry.actor or "system",
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_id": entry.entity_id,
            "entity_urn": entry.entity_urn,
            "changes": entry.changes,
            "context": {
                "request_id": entry.request_id,
                "ip": entry.client_ip,
                "user_agent": entry.user_agent,
                **({"change_set": entry.change_set_id} if entry.change_set_id else {}),
            },
        }
        query = (
            pg_insert(audit_events)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[audit_events.c.event_id])
            .returning(audit_events.c.id)
        )
        return (await self.s.execute(query)).first() is not None

    async def page(self, where: AuditFilter, offset: int, count: int) -> list[AuditEntry]:
        t = audit_events
        query = select(t)
        if where.entity_type:
            query = query.where(t.c.entity_type == where.entity_type)
        if where.entity:
            query = query.where(or_(t.c.entity_id == where.entity, t.c.entity_urn == where.entity))
        if where.user:
            query = query.where(t.c.user_id == where.user)
        if where.action:
            query = query.where(t.c.action == where.action)
        if where.change_set:
            query = query.where(t.c.context["change_set"].astext == where.change_set)
        if where.since is not None:
            query = query.where(t.c.timestamp >= where.since)
        if where.until is not None:
            query = query.where(t.c.timestamp < where.until)
        query = query.order_by(t.c.timestamp.desc(), t.c.id.desc()).offset(offset).limit(count)
        return [_entry(r) for r in (await self.s.execute(query)).mappings()]

"""The audit trail: stores every service's audit records (consumed from the event stream,
exactly once per record) and answers filtered, paginated queries. Nothing updates or deletes."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datacompass.common.v1 import audit_pb2, events_pb2
from dckit.db import Database
from dckit.errors import InvalidArgument
from dckit.events import unpack
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from governance_service.db.repository import AuditFilter, GovernanceRepository, Row


def record_values(record: audit_pb2.AuditRecord) -> dict[str, Any]:
    """The audit_events row of one AuditRecord."""
    return {
        "event_id": record.id,
        "timestamp": record.time.ToDatetime(tzinfo=UTC),
        "service": record.service,
        "user_id": record.actor or "system",
        "action": record.action,
        "entity_type": record.entity_type,
        "entity_id": record.entity_id,
        "entity_urn": record.entity_urn,
        "changes": {
            c.field: {"old": _load(c.old_json), "new": _load(c.new_json)} for c in record.changes
        },
        "context": {
            "request_id": record.request_id,
            "ip": record.client_ip,
            "user_agent": record.user_agent,
        },
    }


class AuditTrail:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def store(self, session: AsyncSession, envelope: events_pb2.EventEnvelope) -> None:
        """IdempotentConsumer handler for `datacompass.audit.recorded`."""
        record = unpack(envelope, audit_pb2.AuditRecord)
        assert isinstance(record, audit_pb2.AuditRecord)
        await GovernanceRepository(session).insert_audit_event(record_values(record))

    async def page(self, where: AuditFilter, limit: int, cursor: str) -> tuple[list[Row], str]:
        if where.since and where.until and where.since >= where.until:
            raise InvalidArgument("'since' must be before 'until'")
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await GovernanceRepository(session).list_audit_events(where, offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)


def _load(raw: str) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw

"""Transactional outbox: events and audit records are rows written in the same transaction
as the change they describe; the relay publishes them afterwards."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
)
from sqlalchemy.ext.asyncio import AsyncSession

from datacompass.common.v1 import audit_pb2
from dckit import context, event_catalogue
from dckit.event_catalogue import EventType
from dckit.events import make_envelope

FieldChanges = dict[str, tuple[Any, Any]]


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),  # serialized EventEnvelope
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text),
    )
    Index(
        "ix_outbox_pending",
        table.c.created_at,
        postgresql_where=table.c.published_at.is_(None),
    )
    return table


class Outbox:
    """Writes events into a service's outbox table inside the caller's session."""

    def __init__(self, table: Table, service: str) -> None:
        self.table = table
        self.service = service
        self.source = f"/datacompass/{service}"

    async def publish(
        self, session: AsyncSession, event_type: EventType | str, subject: str, data: Message
    ) -> str:
        event = event_type if isinstance(event_type, EventType) else event_catalogue.get(event_type)
        if not event.accepts(data):
            # A payload the catalogue does not document would break every consumer of it.
            raise TypeError(
                f"{event.name} carries {[p.DESCRIPTOR.full_name for p in event.payloads]}, "
                f"not {data.DESCRIPTOR.full_name}"
            )
        envelope = make_envelope(event.name, self.source, subject, data)
        await session.execute(
            insert(self.table).values(
                id=envelope.id,
                event_type=event.name,
                payload=envelope.SerializeToString(),
                # clock_timestamp(), not the column default now(): now() is the transaction
                # start, so every event of one transaction tied and the relay (ordering by
                # created_at, id) published them in random uuid order instead of write order.
                created_at=func.clock_timestamp(),
            )
        )
        return envelope.id

    async def audit(
        self,
        session: AsyncSession,
        *,
        action: str,
        entity_type: str,
        entity_id: str | int,
        entity_urn: str = "",
        changes: FieldChanges | None = None,
    ) -> str:
        """Record who changed what; `changes` maps field → (old, new)."""
        ctx = context.current()
        now = timestamp_pb2.Timestamp()
        now.FromDatetime(datetime.now(UTC))
        record = audit_pb2.AuditRecord(
            id=str(uuid.uuid4()),
            time=now,
            service=self.service,
            actor=ctx.actor,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            entity_urn=entity_urn,
            changes=[
                audit_pb2.FieldChange(field=f, old_json=_json(old), new_json=_json(new))
                for f, (old, new) in sorted((changes or {}).items())
            ],
            request_id=ctx.request_id,
            client_ip=ctx.client_ip,
            user_agent=ctx.user_agent,
            change_set_id=ctx.change_set,
        )
        return await self.publish(
            session, event_catalogue.AUDIT_RECORDED, entity_urn or str(entity_id), record
        )


def diff(before: dict[str, Any], after: dict[str, Any]) -> FieldChanges:
    """Field-level changes between two snapshots (only fields that differ)."""
    return {
        key: (before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)

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
from dckit.errors import InvalidArgument
from dckit.event_catalogue import EventType
from dckit.events import make_envelope

FieldChanges = dict[str, tuple[Any, Any]]

# NATS refuses a message over its max_payload (1 MiB by default, headers included); the relay
# could never publish a bigger event, so the outbox refuses to write one. The margin is for the
# headers (Nats-Msg-Id, Ce-Type, trace context).
DEFAULT_MAX_EVENT_BYTES = 1024 * 1024 - 8 * 1024  # the `event_max_bytes` setting's default
DEAD_LETTER = "outbox_dead_letter"


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
    dead_letter_table(metadata)
    return table


def dead_letter_table(metadata: MetaData) -> Table:
    """Outbox rows the relay can never publish (over NATS's max payload, undecodable), moved
    aside so the events after them keep flowing; `outbox_table` defines it beside the outbox."""
    return Table(
        DEAD_LETTER,
        metadata,
        Column("id", String(36), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("error", Text, nullable=False),
        Column(
            "dead_lettered_at", DateTime(timezone=True), nullable=False, server_default=func.now()
        ),
    )


def dead_letter_for(outbox: Table) -> Table:
    """The dead-letter table `outbox_table` defined beside `outbox`."""
    key = f"{outbox.schema}.{DEAD_LETTER}" if outbox.schema else DEAD_LETTER
    return outbox.metadata.tables[key]


class Outbox:
    """Writes events into a service's outbox table inside the caller's session."""

    def __init__(
        self, table: Table, service: str, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ) -> None:
        self.table = table
        self.service = service
        self.source = f"/datacompass/{service}"
        self.max_event_bytes = max_event_bytes

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
        payload = envelope.SerializeToString()
        if len(payload) > self.max_event_bytes:
            # Refused before anything is written: the caller's transaction rolls back whole.
            field, size = _largest_field(data)
            raise InvalidArgument(
                f"field {field!r} is too large ({size} bytes): the change would make a "
                f"{len(payload)}-byte {event.name} event, over the limit of "
                f"{self.max_event_bytes} bytes"
            )
        await session.execute(
            insert(self.table).values(
                id=envelope.id,
                event_type=event.name,
                payload=payload,
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


def _largest_field(message: Message) -> tuple[str, int]:
    """The name and size of the biggest field of `message`, nested messages searched; the
    field of an audit record's change is named by the entity field it changed."""
    best = ("", 0)
    for descriptor, value in message.ListFields():
        values = value if descriptor.is_repeated else [value]
        for item in values:
            if isinstance(item, Message):
                name, size = _largest_field(item)
                if isinstance(item, audit_pb2.FieldChange):
                    name = item.field
                else:
                    name = name or descriptor.name
            else:
                name, size = descriptor.name, _size(item)
            if size > best[1]:
                best = (name, size)
    return best


def _size(value: object) -> int:
    if isinstance(value, str):
        return len(value.encode())
    return len(value) if isinstance(value, bytes) else 8


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)

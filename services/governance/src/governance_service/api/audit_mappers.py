"""The audit trail ↔ protobuf: audit records consumed from the event stream, queries, and the
stored entries answered."""

from __future__ import annotations

import json
from typing import Any

from datacompass.common.v1 import audit_pb2, events_pb2
from datacompass.governance.v1 import governance_pb2 as pb
from dckit.events import unpack
from dckit.protoconv import from_message, to_message
from governance_service.domain.audit import AuditEntry, AuditFilter


def entry(envelope: events_pb2.EventEnvelope) -> AuditEntry:
    """The entry of a `datacompass.audit.recorded` event (its AuditRecord)."""
    record = unpack(envelope, audit_pb2.AuditRecord)
    assert isinstance(record, audit_pb2.AuditRecord)
    changes = {
        c.field: {"old": _load(c.old_json), "new": _load(c.new_json)} for c in record.changes
    }
    return from_message(
        AuditEntry,
        record,
        id=0,
        event_id=record.id,
        actor=record.actor or "system",
        changes=changes,
    )


def audit_filter(request: pb.ListAuditEventsRequest) -> AuditFilter:
    return from_message(AuditFilter, request)


def audit_event(value: AuditEntry) -> pb.AuditEvent:
    changes = [
        audit_pb2.FieldChange(
            field=field,
            old_json=json.dumps(change.get("old"), sort_keys=True),
            new_json=json.dumps(change.get("new"), sort_keys=True),
        )
        for field, change in sorted(value.changes.items())
    ]
    record = to_message(audit_pb2.AuditRecord, value, id=value.event_id, changes=changes)
    return pb.AuditEvent(id=value.id, record=record)


def _load(raw: str) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw

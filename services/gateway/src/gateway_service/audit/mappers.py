"""Governance audit messages → REST models."""

from __future__ import annotations

import json
from typing import Any

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service.audit import schemas as s
from gateway_service.core.convert import FromProto

_event = FromProto(
    s.AuditEvent,
    pb.AuditEvent,
    flatten={"record"},
    rename={"event_id": "record.id", "timestamp": "record.time", "user": "record.actor"},
    custom={"changes"},
)


def audit_event(msg: pb.AuditEvent) -> s.AuditEvent:
    """Each change's before/after travels as JSON text."""
    changes = {
        c.field: s.FieldChange(old=_load(c.old_json), new=_load(c.new_json))
        for c in msg.record.changes
    }
    return _event(msg, changes=changes)


def _load(raw: str) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw

"""The audit trail's records and queries: every service's audit records, stored once each and
never changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dckit.errors import InvalidArgument


@dataclass(frozen=True)
class AuditEntry:
    """One audit record as stored: who (`actor`) did what (`action`) to which entity, the
    field-level changes as {field: {"old": ..., "new": ...}} and the request context."""

    event_id: str  # the record's own id: storing it twice is a no-op
    time: datetime
    service: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    entity_urn: str = ""
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    request_id: str = ""
    client_ip: str = ""
    user_agent: str = ""
    change_set_id: str = ""  # the change set it belongs to (a capsule apply), if any
    id: int = 0  # the trail's sequence number, once stored


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str = ""
    entity: str = ""  # id or URN
    user: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    change_set: str = ""

    def check(self) -> AuditFilter:
        if self.since and self.until and self.since >= self.until:
            raise InvalidArgument("'since' must be before 'until'")
        return self

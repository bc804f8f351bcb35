"""REST bodies of `/audit/...`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from gateway_service.core.models import Page


class FieldChange(BaseModel):
    old: Any = None
    new: Any = None


class AuditEvent(BaseModel):
    id: int
    event_id: str
    timestamp: datetime | None
    service: str
    user: str
    action: str
    entity_type: str
    entity_id: str
    entity_urn: str | None
    changes: dict[str, FieldChange]
    request_id: str | None
    client_ip: str | None
    user_agent: str | None
    change_set_id: str | None = None


class AuditEventPage(Page[AuditEvent]):
    pass

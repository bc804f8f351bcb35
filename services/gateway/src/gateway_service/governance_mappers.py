"""Governance protobuf ↔ JSON models."""

from __future__ import annotations

import json
from typing import Any, cast

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service import governance_schemas as s
from gateway_service.mappers import optional, timestamp


def user(msg: pb.User) -> s.User:
    return s.User(
        id=msg.id,
        username=msg.username,
        display_name=msg.display_name,
        role=cast(s.Role, msg.role),
        disabled=msg.disabled,
        created_at=timestamp(msg, "created_at"),
        last_login_at=timestamp(msg, "last_login_at"),
    )


def tokens(msg: pb.Tokens) -> s.Tokens:
    return s.Tokens(
        access_token=msg.access_token,
        refresh_token=msg.refresh_token,
        expires_in=msg.expires_in,
        user=user(msg.user),
    )


def api_key_fields(msg: pb.ApiKey) -> dict[str, Any]:
    return {
        "id": msg.id,
        "name": msg.name,
        "prefix": msg.prefix,
        "user": msg.username,
        "created_at": timestamp(msg, "created_at"),
        "expires_at": timestamp(msg, "expires_at"),
        "last_used_at": timestamp(msg, "last_used_at"),
        "revoked_at": timestamp(msg, "revoked_at"),
    }


def api_key(msg: pb.ApiKey) -> s.ApiKey:
    return s.ApiKey(**api_key_fields(msg))


def created_api_key(msg: pb.CreatedApiKey) -> s.CreatedApiKey:
    return s.CreatedApiKey(**api_key_fields(msg.key), key=msg.secret)


def audit_event(msg: pb.AuditEvent) -> s.AuditEvent:
    r = msg.record
    return s.AuditEvent(
        id=msg.id,
        event_id=r.id,
        timestamp=timestamp(r, "time"),
        service=r.service,
        user=r.actor,
        action=r.action,
        entity_type=r.entity_type,
        entity_id=r.entity_id,
        entity_urn=optional(r.entity_urn),
        changes={
            c.field: s.FieldChange(old=_load(c.old_json), new=_load(c.new_json)) for c in r.changes
        },
        request_id=optional(r.request_id),
        client_ip=optional(r.client_ip),
        user_agent=optional(r.user_agent),
    )


def _load(raw: str) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw

"""Rows ↔ protobuf messages of the governance API."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from datacompass.common.v1 import audit_pb2
from datacompass.governance.v1 import governance_pb2 as pb
from dckit.protoconv import ts
from governance_service.application.identity import Principal, Tokens
from governance_service.db.repository import Row


def to_datetime(value: timestamp_pb2.Timestamp, present: bool) -> datetime | None:
    return value.ToDatetime(tzinfo=UTC) if present else None


def user(row: Row) -> pb.User:
    return pb.User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        disabled=row["disabled"],
        created_at=ts(row["created_at"]),
        last_login_at=ts(row["last_login_at"]),
    )


def tokens(value: Tokens) -> pb.Tokens:
    return pb.Tokens(
        access_token=value.access,
        refresh_token=value.refresh,
        expires_in=value.expires_in,
        user=user(value.user),
    )


def principal(value: Principal) -> pb.Principal:
    return pb.Principal(
        username=value.username, role=value.role, method=value.method, api_key_id=value.api_key_id
    )


def api_key(row: Row) -> pb.ApiKey:
    return pb.ApiKey(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        username=row["username"],
        created_at=ts(row["created_at"]),
        expires_at=ts(row["expires_at"]),
        last_used_at=ts(row["last_used_at"]),
        revoked_at=ts(row["revoked_at"]),
    )


def audit_event(row: Row) -> pb.AuditEvent:
    context = row["context"] or {}
    return pb.AuditEvent(
        id=row["id"],
        record=audit_pb2.AuditRecord(
            id=row["event_id"],
            time=ts(row["timestamp"]),
            service=row["service"],
            actor=row["user_id"],
            action=row["action"],
            entity_type=row["entity_type"],
            entity_id=row["entity_id"],
            entity_urn=row["entity_urn"],
            changes=[
                audit_pb2.FieldChange(
                    field=field,
                    old_json=json.dumps(change.get("old"), sort_keys=True),
                    new_json=json.dumps(change.get("new"), sort_keys=True),
                )
                for field, change in sorted((row["changes"] or {}).items())
            ],
            request_id=context.get("request_id", ""),
            client_ip=context.get("ip", ""),
            user_agent=context.get("user_agent", ""),
        ),
    )

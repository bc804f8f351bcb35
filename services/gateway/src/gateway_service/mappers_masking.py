"""Governance masking rule messages ↔ REST models."""

from __future__ import annotations

from typing import Any

from datacompass.governance.v1 import masking_pb2 as pb
from dckit.protoconv import whole_numbers
from gateway_service import schemas_masking as s
from gateway_service.mappers import from_struct, optional, timestamp, to_struct


def create_request(ref: str, column: str, body: s.MaskingRuleCreate) -> pb.CreateMaskingRuleRequest:
    return pb.CreateMaskingRuleRequest(
        object=ref,
        column=column,
        name=body.name or "",
        method=body.method,
        config=to_struct(body.config or {}, "config"),
        exempt_roles=body.exempt_roles,
        preserve_null=body.preserve_null,
        enabled=body.enabled,
        description=body.description or "",
    )


def update_request(rule_id: int, changes: dict[str, Any]) -> pb.UpdateMaskingRuleRequest:
    """`changes`: the PATCH fields sent (nulls only where CLEARABLE allows them)."""
    req = pb.UpdateMaskingRuleRequest(id=rule_id)
    for name in ("name", "method", "description"):
        if name in changes:
            setattr(req, name, changes[name] or "")
    for name in ("preserve_null", "enabled"):
        if name in changes:
            setattr(req, name, changes[name])
    if "config" in changes:
        req.config.CopyFrom(to_struct(changes["config"] or {}, "config"))
    if "exempt_roles" in changes:
        req.set_exempt_roles = True
        req.exempt_roles.extend(changes["exempt_roles"])
    return req


def rule(msg: pb.MaskingRule) -> s.MaskingRule:
    return s.MaskingRule(
        id=msg.id,
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        column=msg.column,
        column_urn=msg.column_urn,
        name=msg.name,
        method=msg.method,
        config=whole_numbers(from_struct(msg.config)),
        exempt_roles=list(msg.exempt_roles),
        preserve_null=msg.preserve_null,
        enabled=msg.enabled,
        description=optional(msg.description),
        created_by=msg.created_by,
        created_at=timestamp(msg, "created_at"),
        updated_by=msg.updated_by,
        updated_at=timestamp(msg, "updated_at"),
    )


def preview(msg: pb.MaskingSqlPreview) -> s.MaskingSqlPreview:
    return s.MaskingSqlPreview(
        object_ref=msg.object_ref, dialect=msg.dialect, sql=msg.sql, notes=list(msg.notes)
    )

"""Governance classification messages → REST models."""

from __future__ import annotations

from typing import Any

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service import schemas_classification as s
from gateway_service.mappers import optional, timestamp


def classification(msg: pb.Classification) -> s.Classification:
    return s.Classification(
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        column=optional(msg.column),
        level=msg.level,
        compliance=list(msg.compliance),
        source=msg.source,
        rule_name=optional(msg.rule_name),
        classified_by=optional(msg.classified_by),
        classified_at=timestamp(msg, "classified_at"),
        source_name=msg.source_name,
    )


def object_classification(msg: pb.ObjectClassification) -> s.ObjectClassification:
    return s.ObjectClassification(
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        effective=classification(msg.effective) if msg.HasField("effective") else None,
        own=classification(msg.own) if msg.HasField("own") else None,
        columns=[classification(c) for c in msg.columns],
    )


def rule(msg: pb.ClassificationRule) -> s.ClassificationRule:
    return s.ClassificationRule(
        id=msg.id,
        name=msg.name,
        priority=msg.priority,
        enabled=msg.enabled,
        column_name_pattern=optional(msg.column_name_pattern),
        schema_pattern=optional(msg.schema_pattern),
        object_name_pattern=optional(msg.object_name_pattern),
        tags=list(msg.tags),
        level=msg.level,
        compliance=list(msg.compliance),
        created_by=msg.created_by,
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
    )


def rule_message(values: dict[str, Any]) -> pb.ClassificationRule:
    return pb.ClassificationRule(**values)


def apply_result(msg: pb.ApplyResult) -> s.ApplyResult:
    return s.ApplyResult(
        objects=msg.objects,
        classified=msg.classified,
        unchanged=msg.unchanged,
        skipped=msg.skipped,
        errors=msg.errors,
        error_messages=list(msg.error_messages),
    )

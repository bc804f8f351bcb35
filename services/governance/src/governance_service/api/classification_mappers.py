"""Classification rows ↔ protobuf messages."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from dckit.protoconv import ts
from governance_service.application.classification import ApplyReport, ObjectView
from governance_service.db.classification_repo import Row
from governance_service.domain import rules as rdom
from governance_service.domain.classification import Label


def classification(row: Row) -> pb.Classification:
    return pb.Classification(
        object_ref=row["object_ref"],
        object_urn=row["object_urn"],
        column=row["column_name"],
        level=row["level"],
        compliance=row["compliance"],
        source=row["source"],
        rule_name=row["rule_name"],
        classified_by=row["classified_by"],
        classified_at=ts(row["classified_at"]),
        source_name=row["source_name"],
    )


def _label(view: ObjectView, label: Label) -> pb.Classification:
    return pb.Classification(
        object_ref=view.obj.ref,
        object_urn=view.obj.urn,
        level=label.level,
        compliance=label.compliance,
        source=label.source,
        rule_name=label.rule_name,
        classified_by=label.classified_by,
        source_name=view.obj.source_name,
    )


def object_view(view: ObjectView) -> pb.ObjectClassification:
    out = pb.ObjectClassification(
        object_ref=view.obj.ref,
        object_urn=view.obj.urn,
        columns=[classification(r) for r in view.columns],
    )
    if view.own is not None:
        out.own.CopyFrom(classification(view.own))
        out.effective.CopyFrom(out.own)
    elif view.effective is not None:
        out.effective.CopyFrom(_label(view, view.effective))
    return out


def rule(row: Row) -> pb.ClassificationRule:
    return pb.ClassificationRule(
        id=row["id"],
        name=row["name"],
        priority=row["priority"],
        enabled=row["enabled"],
        column_name_pattern=row["column_name_pattern"],
        schema_pattern=row["schema_pattern"],
        object_name_pattern=row["object_name_pattern"],
        tags=row["tags"],
        level=row["level"],
        compliance=row["compliance"],
        created_by=row["created_by"],
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
    )


def rule_spec(msg: pb.ClassificationRule) -> rdom.RuleSpec:
    return rdom.RuleSpec(
        name=msg.name,
        level=msg.level,
        compliance=tuple(msg.compliance),
        column_name_pattern=msg.column_name_pattern,
        schema_pattern=msg.schema_pattern,
        object_name_pattern=msg.object_name_pattern,
        tags=tuple(msg.tags),
        priority=msg.priority,
        enabled=msg.enabled,
    )


def apply_result(report: ApplyReport) -> pb.ApplyResult:
    return pb.ApplyResult(
        objects=report.objects,
        classified=report.classified,
        unchanged=report.unchanged,
        skipped=report.skipped,
        errors=report.errors,
        error_messages=report.error_messages[:50],
    )

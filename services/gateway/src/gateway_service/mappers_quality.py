"""Quality rule, check, profile and suggestion protobuf messages → REST models."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

from datacompass.quality.v1 import checks_pb2 as pb
from dckit.protoconv import whole_numbers
from gateway_service import schemas_quality as s
from gateway_service.mappers import optional, timestamp


def struct(value: struct_pb2.Struct) -> dict[str, Any]:
    out: dict[str, Any] = whole_numbers(json_format.MessageToDict(value))
    return out


def _list(value: struct_pb2.ListValue) -> list[Any]:
    out: list[Any] = whole_numbers(json_format.MessageToDict(value))
    return out


def _opt(msg: Any, field: str) -> Any:
    return getattr(msg, field) if msg.HasField(field) else None


def rule(msg: pb.QualityRule) -> s.QualityRule:
    return s.QualityRule(
        id=msg.id,
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        column=optional(msg.column),
        name=msg.name,
        rule_type=msg.rule_type,
        category=msg.category,
        rule_config=struct(msg.config),
        severity=msg.severity,
        blocking=msg.blocking,
        enabled=msg.enabled,
        description=msg.description,
        expected=msg.expected,
        created_by=msg.created_by,
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
    )


def check(msg: pb.QualityCheck) -> s.QualityCheck:
    return s.QualityCheck(
        id=msg.id,
        run_id=msg.run_id,
        rule_id=msg.rule_id,
        rule_name=msg.rule_name,
        rule_type=msg.rule_type,
        category=msg.category,
        column=optional(msg.column),
        severity=msg.severity,
        blocking=msg.blocking,
        status=msg.status,
        measured_value=_opt(msg, "measured_value"),
        expected_value=msg.expected_value,
        threshold_value=_opt(msg, "threshold_value"),
        failure_count=_opt(msg, "failure_count"),
        failure_percentage=_opt(msg, "failure_percentage"),
        total_count=_opt(msg, "total_count"),
        sample_failures=_list(msg.sample_failures),
        error=optional(msg.error),
        duration_ms=msg.duration_ms,
        details=struct(msg.details),
        checked_at=timestamp(msg, "checked_at"),
    )


def check_run(msg: pb.CheckRun) -> s.CheckRun:
    return s.CheckRun(
        id=msg.id,
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        status=msg.status,
        passed=msg.passed,
        failed=msg.failed,
        warnings=msg.warnings,
        errors=msg.errors,
        skipped=msg.skipped,
        quality_score=_opt(msg, "quality_score"),
        triggered_by=msg.triggered_by,
        execution_context=struct(msg.execution_context),
        checks=[check(c) for c in msg.checks],
        error=optional(msg.error),
        started_at=timestamp(msg, "started_at"),
        finished_at=timestamp(msg, "finished_at"),
        duration_ms=msg.duration_ms,
    )


def score(msg: pb.QualityScore) -> s.QualityScore:
    return s.QualityScore(
        object_ref=msg.object_ref,
        score=_opt(msg, "score"),
        dimensions=dict(msg.dimensions),
        checks_counted=msg.checks_counted,
        run_id=msg.run_id or None,
        as_of=timestamp(msg, "as_of"),
    )


def column_profile(msg: pb.ColumnProfile) -> s.ColumnProfile:
    return s.ColumnProfile(
        id=msg.id,
        profile_run_id=msg.profile_run_id,
        object_ref=msg.object_ref,
        column=msg.column,
        data_type=msg.data_type,
        stats=struct(msg.stats),
        sampled=msg.sampled,
        sample_size=msg.sample_size,
        sample_percentage=msg.sample_percentage,
        profiled_at=timestamp(msg, "profiled_at"),
        profiled_by=msg.profiled_by,
        masked=list(msg.masked),
    )


def profile_run(msg: pb.ProfileRun) -> s.ProfileRun:
    return s.ProfileRun(
        id=msg.id,
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        status=msg.status,
        steps_total=msg.steps_total,
        steps_done=msg.steps_done,
        row_count=msg.row_count,
        sampled=msg.sampled,
        sample_size=msg.sample_size,
        sample_percentage=msg.sample_percentage,
        columns=[column_profile(c) for c in msg.columns],
        error=optional(msg.error),
        triggered_by=msg.triggered_by,
        started_at=timestamp(msg, "started_at"),
        finished_at=timestamp(msg, "finished_at"),
        duration_ms=msg.duration_ms,
    )


def suggestion(msg: pb.RuleSuggestion) -> s.RuleSuggestion:
    return s.RuleSuggestion(
        key=msg.key,
        column=optional(msg.column),
        rule_type=msg.rule_type,
        rule_config=struct(msg.config),
        severity=msg.severity,
        reason=msg.reason,
        exists=msg.exists,
    )

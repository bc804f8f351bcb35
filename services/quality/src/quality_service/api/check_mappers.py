"""Rows ↔ protobuf messages of quality rules, check runs, profiles and suggestions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import struct_pb2

from datacompass.quality.v1 import checks_pb2 as cpb
from dckit.protoconv import struct, ts
from quality_service.application.check_runs import CheckRunView, ScoreView
from quality_service.application.profile_runs import ProfileRunView, SuggestionView
from quality_service.application.samples import VALUE_STATS
from quality_service.db.repository import Row
from quality_service.domain import rules as rule_domain


def _list(values: Sequence[Any]) -> struct_pb2.ListValue:
    out = struct_pb2.ListValue()
    out.extend(rule_domain.json_safe(list(values)))
    return out


def rule(row: Mapping[Any, Any]) -> cpb.QualityRule:
    return cpb.QualityRule(
        id=row["id"],
        object_ref=row["object_ref"],
        object_urn=row["object_urn"],
        column=row["column_name"],
        name=row["name"],
        rule_type=row["rule_type"],
        category=row["category"],
        config=struct(rule_domain.json_safe(row["config"])),
        severity=row["severity"],
        blocking=row["blocking"],
        enabled=row["enabled"],
        description=row["description"],
        expected=_expected(row),
        created_by=row["created_by"],
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
    )


def _expected(row: Mapping[Any, Any]) -> str:
    spec = rule_domain.RuleSpec(
        row["rule_type"], row["category"], row["column_name"], dict(row["config"])
    )
    try:
        return rule_domain.expected_text(spec)
    except (KeyError, TypeError, ValueError):  # a config from an older version of a type
        return ""


def check(row: Mapping[Any, Any]) -> cpb.QualityCheck:
    return cpb.QualityCheck(
        id=row["id"],
        run_id=row["run_id"],
        rule_id=row["rule_id"] or 0,
        rule_name=row["rule_name"],
        rule_type=row["rule_type"],
        category=row["category"],
        column=row["column_name"],
        severity=row["severity"],
        blocking=row["blocking"],
        status=row["status"],
        measured_value=row["measured_value"],
        expected_value=row["expected_value"],
        threshold_value=row["threshold_value"],
        failure_count=row["failure_count"],
        failure_percentage=row["failure_percentage"],
        total_count=row["total_count"],
        sample_failures=_list(row["sample_failures"] or []),
        error=row["error"],
        duration_ms=row["duration_ms"],
        details=struct(rule_domain.json_safe(row["details"] or {})),
        checked_at=ts(row["checked_at"]),
    )


def check_run(view: CheckRunView) -> cpb.CheckRun:
    run = view.run
    return cpb.CheckRun(
        id=run["id"],
        object_ref=run["object_ref"],
        object_urn=run["object_urn"],
        status=run["status"],
        passed=run["passed"],
        failed=run["failed"],
        warnings=run["warnings"],
        errors=run["errors"],
        skipped=run["skipped"],
        quality_score=run["quality_score"],
        triggered_by=run["triggered_by"],
        execution_context=struct(rule_domain.json_safe(run["execution_context"] or {})),
        checks=[check(c) for c in view.checks],
        error=run["error"],
        started_at=ts(run["started_at"]),
        finished_at=ts(run["finished_at"]),
        duration_ms=run["duration_ms"],
    )


def run_finished(run: Row, checks: Sequence[Mapping[Any, Any]]) -> cpb.CheckRunFinished:
    return cpb.CheckRunFinished(run=check_run(CheckRunView(run, checks)))


def score(view: ScoreView) -> cpb.QualityScore:
    return cpb.QualityScore(
        object_ref=view.object_ref,
        score=view.score.score,
        dimensions=view.score.dimensions,
        checks_counted=view.score.checks_counted,
        run_id=view.run_id,
        as_of=ts(view.as_of),
    )


def column_profile(row: Mapping[Any, Any], masked: frozenset[str]) -> cpb.ColumnProfile:
    column = row["column_name"]
    return cpb.ColumnProfile(
        id=row["id"],
        profile_run_id=row["profile_run_id"],
        object_ref=row["object_ref"],
        column=column,
        data_type=row["data_type"],
        stats=struct(rule_domain.json_safe(row["stats"])),
        sampled=row["sampled"],
        sample_size=row["sample_size"] or 0,
        sample_percentage=row["sample_percentage"] or 0.0,
        profiled_at=ts(row["profiled_at"]),
        profiled_by=row["profiled_by"],
        masked=masked_fields(row["stats"]) if column in masked else [],
    )


def masked_fields(stats: Mapping[Any, Any]) -> list[str]:
    keys = (*VALUE_STATS, "most_common_values", "histogram")
    return [k for k in keys if stats.get(k) not in (None, [])]


def profile_run(view: ProfileRunView) -> cpb.ProfileRun:
    run = view.run
    return cpb.ProfileRun(
        id=run["id"],
        object_ref=run["object_ref"],
        object_urn=run["object_urn"],
        status=run["status"],
        steps_total=run["steps_total"],
        steps_done=run["steps_done"],
        row_count=run["row_count"] or 0,
        sampled=run["sampled"],
        sample_size=run["sample_size"] or 0,
        sample_percentage=run["sample_percentage"] or 0.0,
        columns=[column_profile(c, view.masked) for c in view.columns],
        error=run["error"],
        triggered_by=run["triggered_by"],
        started_at=ts(run["started_at"]),
        finished_at=ts(run["finished_at"]),
        duration_ms=run["duration_ms"],
    )


def suggestion(view: SuggestionView) -> cpb.RuleSuggestion:
    s = view.suggestion
    return cpb.RuleSuggestion(
        key=s.key,
        column=s.column,
        rule_type=s.rule_type,
        config=struct(rule_domain.json_safe(view.shown.get("rule_config", s.rule_config))),
        severity=s.severity,
        reason=view.shown.get("reason", s.reason),
        exists=view.exists,
    )

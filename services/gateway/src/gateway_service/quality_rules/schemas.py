"""REST bodies of quality rules, check runs, quality scores and rule suggestions
(`/capsules/{urn}/quality-rules`, `/quality-checks`, ...). Rule types and their `rule_config`
keys: docs/data-quality.md; the quality service validates them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from gateway_service.core.convert import INT64_MAX
from gateway_service.core.models import Page, Request

Severity = Literal["info", "warning", "error", "critical"]
CheckStatus = Literal["passed", "failed", "warning", "error", "skipped"]
RunStatus = Literal["running", "passed", "warning", "failed", "error"]

RULE_TYPE_DOC = (
    "not_null, no_empty_strings, completeness_threshold, value_in_set, pattern_match, "
    "format_valid, type_valid, range_check, length_check, unique, unique_combination, "
    "duplicate_threshold, referential_integrity, cross_field_validation, freshness, "
    "recency_check, distribution_check, outlier_detection, statistical_threshold, custom_sql "
    "(admins only)"
)
RULE_CONFIG_DOC = (
    'The rule type\'s settings, e.g. {"allowed_values": ["a", "b"]} for value_in_set, '
    '{"min": 0, "max": 100} for range_check, {"max_age": "24h"} for freshness; row-level '
    'rules also take "max_failure_percent" (0..100, default 0)'
)


# ---------------------------------------------------------------- rules
class QualityRule(BaseModel):
    id: int
    object_ref: str
    object_urn: str
    column: str | None = Field(description="null for a capsule-level rule")
    name: str
    rule_type: str
    category: str = Field(
        description="completeness, validity, uniqueness, consistency, timeliness, "
        "distribution or custom"
    )
    rule_config: dict[str, Any]
    severity: Severity
    blocking: bool
    enabled: bool
    description: str
    expected: str = Field(description="what the rule expects, in words")
    created_by: str
    created_at: datetime | None
    updated_at: datetime | None


class QualityRuleCreate(Request):
    column: str | None = Field(None, description="the checked column; omit for a capsule rule")
    name: str | None = Field(None, description="default: derived from the type and column")
    rule_type: str = Field(description=RULE_TYPE_DOC)
    rule_config: dict[str, Any] = Field(default_factory=dict, description=RULE_CONFIG_DOC)
    severity: Severity = "warning"
    blocking: bool = Field(False, description="a failure fails pipelines gated on the object")
    enabled: bool = True
    description: str = ""


class QualityRuleUpdate(Request):
    name: str | None = None
    rule_config: dict[str, Any] | None = Field(None, description="replaces the whole config")
    severity: Severity | None = None
    blocking: bool | None = None
    enabled: bool | None = None
    description: str | None = None


class QualityRuleList(BaseModel):
    items: list[QualityRule]


# ---------------------------------------------------------------- checks
class QualityCheck(BaseModel):
    id: int
    run_id: int
    rule_id: int
    rule_name: str
    rule_type: str
    category: str
    column: str | None
    severity: Severity
    blocking: bool
    status: CheckStatus
    measured_value: float | None
    expected_value: str
    threshold_value: float | None
    failure_count: int | None
    failure_percentage: float | None
    total_count: int | None
    sample_failures: list[dict[str, Any]] = Field(
        description='failing rows (masked for the caller): [{"values": {column: value}, '
        '"occurrences": n}]'
    )
    error: str | None
    duration_ms: int
    details: dict[str, Any]
    checked_at: datetime | None


class CheckRun(BaseModel):
    id: int
    object_ref: str
    object_urn: str
    status: RunStatus
    passed: int
    failed: int
    warnings: int
    errors: int
    skipped: int
    quality_score: float | None
    triggered_by: str
    execution_context: dict[str, Any]
    checks: list[QualityCheck]
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int


class CheckRunCreate(Request):
    capsule: str = Field(description="the object: URN or source.schema.name")
    rule_ids: list[Annotated[int, Field(ge=1, le=INT64_MAX)]] = Field(
        default_factory=list, description="only these rules (default: every enabled rule)"
    )
    execution_context: dict[str, Any] | None = Field(
        None, description="pipeline run, job id, ...: stored with the run as given"
    )
    sample_limit: int | None = Field(
        None, ge=1, le=100, description="failing rows kept per check (default: the service's)"
    )


class QualityScore(BaseModel):
    object_ref: str
    score: float | None = Field(description="0-100; null while no check has run")
    dimensions: dict[str, float] = Field(description="category → 0-100")
    checks_counted: int
    run_id: int | None = Field(description="the latest run the score reflects")
    as_of: datetime | None


CheckRunPage = Page[CheckRun]


# ---------------------------------------------------------------- suggestions
class RuleSuggestion(BaseModel):
    key: str = Field(description="stable: column:rule_type")
    column: str | None
    rule_type: str
    rule_config: dict[str, Any]
    severity: Severity
    reason: str
    exists: bool = Field(description="a rule of this type already covers the column")


class RuleSuggestionList(BaseModel):
    items: list[RuleSuggestion]
    profile_run_id: int | None = Field(description="the profile the suggestions come from")


class AcceptSuggestions(Request):
    keys: list[str] = Field(
        default_factory=list, description="suggestion keys (empty: every one not yet a rule)"
    )


class AcceptedSuggestions(BaseModel):
    created: list[QualityRule]
    skipped: list[str] = Field(description="keys that already had a rule")

"""Request and response bodies of the data quality endpoints (`/api/v1/dq/...`)."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import BodyId, Page, Request

MetricType = Literal[
    "row_count", "null_count", "distinct_count", "max_length", "min", "max", "mean", "sum", "median"
]
Grain = Literal["daily", "weekly", "monthly"]
Priority = Literal["critical", "high", "medium", "low"]
BreachStatus = Literal["open", "acknowledged", "resolved", "dismissed"]
RunStatus = Literal["pending", "running", "succeeded", "partial", "failed", "cancelled"]

THRESHOLD_DOC = (
    'How values are judged (docs/data-quality.md). {"strategy": "absolute", "min"?, "max"?} | '
    '{"strategy": "relative", "window"?: 7, "max_decrease_pct"?, "max_increase_pct"?} | '
    '{"strategy": "anomaly", "method"?: "mad"|"zscore", "sensitivity"?: 3, '
    '"training_window"?: 28, "min_history"?: 7, "seasonality"?: "none"|"day_of_week", '
    '"direction"?: "both"|"above"|"below"}'
)


class Expectation(BaseModel):
    id: int
    config_id: int
    metric_type: MetricType
    column: str | None
    threshold: dict[str, Any]
    priority: Priority
    enabled: bool
    created_at: datetime | None
    updated_at: datetime | None


class DqConfig(BaseModel):
    id: int
    object_ref: str
    date_column: str
    date_format: str | None
    grain: Grain
    timezone: str
    enabled: bool
    expectations: list[Expectation]
    created_at: datetime | None
    updated_at: datetime | None


class DqConfigCreate(Request):
    object_ref: str = Field(description="source.schema.name of a cataloged object")
    date_column: str = Field(description="column that dates each row (date, timestamp or text)")
    date_format: str | None = Field(
        None, description="for a text date column: its format in the source's dialect"
    )
    grain: Grain = "daily"
    timezone: str = Field("UTC", description="IANA zone whose calendar days form the buckets")
    enabled: bool = True


class DqConfigUpdate(Request):
    date_column: str | None = None
    date_format: str | None = None
    grain: Grain | None = None
    timezone: str | None = None
    enabled: bool | None = None


class ExpectationCreate(Request):
    config_id: BodyId
    metric_type: MetricType
    column: str | None = Field(None, description="required for every metric but row_count")
    threshold: dict[str, Any] = Field(description=THRESHOLD_DOC)
    priority: Priority = "medium"
    enabled: bool = True


class ExpectationUpdate(Request):
    threshold: dict[str, Any] | None = Field(None, description=THRESHOLD_DOC)
    priority: Priority | None = None
    enabled: bool | None = None


class BucketOutcome(BaseModel):
    bucket: date
    status: Literal["succeeded", "failed"]
    error: str | None
    metrics: int
    breaches: int


class DqRun(BaseModel):
    id: int
    config_id: int
    object_ref: str
    start_date: date
    end_date: date
    status: RunStatus
    buckets_total: int = Field(description="progress: buckets in the run")
    buckets_done: int = Field(description="progress: buckets measured so far")
    results_stored: int
    metric_errors: int
    breaches_opened: int
    buckets: list[BucketOutcome] = Field(description="per-bucket outcome once finished")
    error: str | None
    triggered_by: str
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class DqRunCreate(Request):
    object_ref: str | None = Field(None, description="the object (or give config_id)")
    config_id: BodyId | None = None
    date: dt.date | None = Field(None, description="one bucket: the one holding this date")
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    days: int | None = Field(None, ge=1, le=3660, description="backfill the last N days")
    parallelism: int | None = Field(None, ge=1, le=64, description="chunks measured at once")
    max_queries_per_second: float | None = Field(None, gt=0, description="rate limit")


class DqResult(BaseModel):
    id: int
    expectation_id: int
    bucket: date
    status: Literal["ok", "breach", "error", "no_data", "learning"]
    value: float | None
    threshold_low: float | None
    threshold_high: float | None
    threshold_strategy: str
    is_breach: bool
    error: str | None
    run_id: int | None
    executed_at: datetime | None


class ExpectationSummary(BaseModel):
    expectation: Expectation
    latest: DqResult | None
    breaches_30d: int
    trend_7d: Literal["up", "down", "stable", "unknown"]


class ConfigSummary(BaseModel):
    config: DqConfig
    expectations: list[ExpectationSummary]
    open_breaches: int
    last_run: DqRun | None


class Breach(BaseModel):
    id: int
    expectation_id: int
    config_id: int
    object_ref: str
    metric_type: MetricType
    column: str | None
    priority: Priority
    bucket: date
    value: float | None = Field(
        description="unset for a min/max/mean/sum/median of a column masked for the caller"
    )
    threshold_low: float | None
    threshold_high: float | None
    direction: Literal["above", "below"]
    deviation: float
    status: BreachStatus
    status_changed_by: str | None
    status_reason: str | None
    run_id: int | None
    detected_at: datetime | None
    updated_at: datetime | None


class BreachUpdate(Request):
    status: BreachStatus
    reason: str = Field("", description="why (required to dismiss)")


DqConfigPage = Page[DqConfig]
DqRunPage = Page[DqRun]
BreachPage = Page[Breach]

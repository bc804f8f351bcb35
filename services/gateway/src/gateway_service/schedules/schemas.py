"""Request and response bodies of the scheduling endpoints (`/api/v1/schedules`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import Page, Request

TaskType = Literal["metadata_scan", "dq_run", "quality_check"]
PARAMS_DOC = (
    'metadata_scan: {"source_name"}; dq_run: {"object_ref", "days"?} (the last N days, '
    'default the last complete period); quality_check: {"object_ref"} (its enabled rules)'
)


class Schedule(BaseModel):
    id: int
    name: str
    cron: str = Field(description="5 fields: minute hour day-of-month month day-of-week")
    timezone: str
    task_type: TaskType
    params: dict[str, Any]
    enabled: bool
    misfire_grace_seconds: int
    max_attempts: int
    next_run_at: datetime | None
    last_run_at: datetime | None
    created_by: str
    created_at: datetime | None
    updated_at: datetime | None


class ScheduleCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    cron: str = Field(description="5-field cron expression, read in `timezone`")
    timezone: str = "UTC"
    task_type: TaskType
    params: dict[str, Any] = Field(default_factory=dict, description=PARAMS_DOC)
    enabled: bool = True
    misfire_grace_seconds: int = Field(300, ge=0, le=86_400)
    max_attempts: int = Field(3, ge=1, le=20)


class ScheduleUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=200)
    cron: str | None = None
    timezone: str | None = None
    task_type: TaskType | None = None
    params: dict[str, Any] | None = Field(None, description=PARAMS_DOC)
    enabled: bool | None = None
    misfire_grace_seconds: int | None = Field(None, ge=0, le=86_400)
    max_attempts: int | None = Field(None, ge=1, le=20)


class ScheduleRun(BaseModel):
    id: int
    schedule_id: int | None
    schedule_name: str
    task_type: str
    trigger: Literal["cron", "manual"]
    triggered_by: str
    scheduled_for: datetime | None
    status: str = Field(description="pending, running, succeeded, failed or skipped_misfire")
    attempt: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    target_id: str | None = Field(description="the scan or DQ run the task started")
    result: dict[str, Any]
    created_at: datetime | None


SchedulePage = Page[Schedule]
ScheduleRunPage = Page[ScheduleRun]

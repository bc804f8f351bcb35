"""REST bodies of column profiles and profile runs (`/columns/{urn}/profile`,
`/capsules/{urn}/profile`, `/profile-runs/{id}`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway_service.core.convert import INT64_MAX
from gateway_service.core.models import Request

ProfileStatus = Literal["running", "succeeded", "failed"]


class ColumnProfile(BaseModel):
    id: int
    profile_run_id: int
    object_ref: str
    column: str
    data_type: str
    stats: dict[str, Any] = Field(
        description="counts, numbers, lengths, timestamps, most_common_values, histogram, "
        "detected_patterns, formats, scores (docs/data-quality.md)"
    )
    sampled: bool
    sample_size: int
    sample_percentage: float
    profiled_at: datetime | None
    profiled_by: str
    masked: list[str] = Field(description="sample fields masked for this caller")


class ColumnProfileList(BaseModel):
    items: list[ColumnProfile]


class ProfileRun(BaseModel):
    id: int
    object_ref: str
    object_urn: str
    status: ProfileStatus
    steps_total: int = Field(description="progress: steps in the run")
    steps_done: int = Field(description="progress: steps done so far")
    row_count: int
    sampled: bool
    sample_size: int
    sample_percentage: float
    columns: list[ColumnProfile]
    error: str | None
    triggered_by: str
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int


class ColumnProfileCreate(Request):
    sample_rows: int | None = Field(
        None,
        ge=1,
        le=INT64_MAX,
        description="profile about this many sampled rows (default: every row)",
    )
    wait: bool = Field(True, description="answer once the profile has finished")


class ObjectProfileCreate(ColumnProfileCreate):
    columns: list[str] = Field(default_factory=list, description="only these (default: all)")

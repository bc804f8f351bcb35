"""REST models shared by several areas: request base, page base, error body, deprecation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Request(BaseModel):
    """Request bodies reject unknown fields (a typo should not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )


class ErrorDetail(BaseModel):
    code: str = Field(examples=["NOT_FOUND"])
    message: str
    request_id: str


class ErrorBody(BaseModel):
    error: ErrorDetail


# Deprecations are served on their own (`/deprecations`) and inside an object (`/objects`).
DeprecationStatus = Literal["active", "deadline_passed", "withdrawn"]


class Deprecation(BaseModel):
    id: int
    object_urn: str
    object_ref: str
    deadline: date = Field(description="UTC date")
    replacement_urn: str | None
    replacement_ref: str | None
    message: str
    status: DeprecationStatus
    days_left: int = Field(description="deadline minus today (UTC); negative once passed")
    last_notice_days: int | None = Field(
        description="threshold (days before the deadline) of the last deadline_approaching "
        "event sent; null when none yet"
    )
    created_by: str
    created_at: datetime | None
    updated_at: datetime | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None

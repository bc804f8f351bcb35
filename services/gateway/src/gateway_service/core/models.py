"""REST models shared by several areas: request base, page base, error body, deprecation."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

T = TypeVar("T")

# Caps on what one request may carry (besides the whole body's, `max_body_bytes`): every change
# becomes an event and an audit record, which NATS carries only up to 1 MiB. A field naming its
# own cap (`Field(max_length=...)`) overrides TEXT_MAX.
TEXT_MAX = 10_000
"""Characters in any text field (and any list item or object key) of a request body."""
JSON_MAX_BYTES = 64 * 1024
"""Serialized size of a free-form JSON object (configs, thresholds, params, connections)."""
CODE_MAX = 100_000
"""Characters of a code text (transformation code)."""


Tag = Annotated[str, Field(max_length=100)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
"""An integer a backend keeps in 32 bits (proto int32)."""
BodyId = Annotated[int, Field(ge=1, le=2**63 - 1)]
"""A numeric id in a request body."""
TAGS_MAX = 100


class Request(BaseModel):
    """Request bodies reject unknown fields (a typo should not be silently ignored), text over
    TEXT_MAX characters, JSON objects over JSON_MAX_BYTES, and anywhere in a field (lists and
    objects included) integers outside int64 or text with a NUL character: PostgreSQL and
    protobuf cannot hold those, and they used to come back as 500s."""

    model_config = ConfigDict(extra="forbid", str_max_length=TEXT_MAX)

    @field_validator("*", mode="after")
    @classmethod
    def _guard(cls, value: Any) -> Any:
        _storable(value)
        if isinstance(value, dict):
            size = len(json.dumps(value, default=str).encode())
            if size > JSON_MAX_BYTES:
                raise ValueError(f"at most {JSON_MAX_BYTES} bytes of JSON, got {size}")
        return value


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _storable(value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("an integer outside the 64-bit range")
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text must not contain a NUL character")
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _storable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _storable(item)
    elif isinstance(value, BaseModel):
        for item in value.__dict__.values():
            _storable(item)


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

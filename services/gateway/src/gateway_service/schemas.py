"""Request and response bodies of the REST API (they are the OpenAPI description)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

ScanStatus = Literal["running", "succeeded", "failed", "cancelled"]
ObjectType = Literal["table", "view", "materialized_view", "foreign_table", "partitioned_table"]

CONNECTION_DOC = (
    "Type-specific, write-only connection settings. postgres: host, port (default 5432), "
    "database, username, password, sslmode?, schemas? (include list), exclude_schemas?, "
    "connect_timeout_seconds? (default 10)."
)


class Request(BaseModel):
    """Request bodies reject unknown fields (a typo should not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- pages


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )


# ---------------------------------------------------------------- sources & scans


class ScanRun(BaseModel):
    id: int
    source_name: str
    status: ScanStatus
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    objects_found: int
    objects_created: int
    objects_updated: int
    objects_deleted: int
    columns_found: int
    error: str | None
    triggered_by: str
    objects_total: int = Field(0, description="progress: objects found by the running scan")
    objects_done: int = Field(0, description="progress: objects written so far")


class Source(BaseModel):
    id: int
    name: str
    source_type: str
    description: str
    connection_keys: list[str] = Field(description="Names of the connection settings that are set.")
    created_at: datetime | None
    updated_at: datetime | None
    last_scan: ScanRun | None


class SourceCreate(Request):
    name: str = Field(
        description="1-63 lower-case letters, digits, '_' or '-', starting with a letter",
        examples=["warehouse"],
    )
    source_type: str = Field(examples=["postgres"])
    description: str = ""
    connection: dict[str, Any] = Field(
        description=CONNECTION_DOC,
        examples=[
            {
                "host": "db.internal",
                "port": 5432,
                "database": "shop",
                "username": "reader",
                "password": "secret",
            }
        ],
    )


class SourceUpdate(Request):
    description: str | None = None
    connection: dict[str, Any] | None = Field(
        None, description="Keys given replace the stored ones; keys not given are kept."
    )


class SourceDeleted(BaseModel):
    objects_deleted: int


class SourcePage(Page[Source]):
    pass


class ScanRunPage(Page[ScanRun]):
    pass


# ---------------------------------------------------------------- objects


class Column(BaseModel):
    name: str
    ordinal: int
    data_type: str
    nullable: bool
    default_expression: str | None
    comment: str | None
    urn: str


class CatalogObject(BaseModel):
    id: int
    ref: str = Field(description="source.schema.name")
    urn: str
    source_name: str
    source_type: str
    schema_name: str
    name: str
    object_type: str = Field(description=" | ".join(get_args(ObjectType)))
    description: str
    tags: list[str]
    source_metadata: dict[str, Any]
    user_metadata: dict[str, Any]
    column_count: int
    deleted: bool
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    updated_at: datetime | None
    columns: list[Column] | None = Field(
        None, description="Present on `GET /objects/{ref}` and `PATCH /objects/{ref}` only."
    )
    partitioning: dict[str, Any] | None = Field(
        None, description="strategy (range|list|hash), key, expression; null if unpartitioned"
    )
    storage_format: str | None = None
    size_bytes: int | None = None
    row_estimate: int | None = None
    last_analyzed_at: datetime | None = None


class ObjectUpdate(Request):
    description: str | None = Field(None, description="Empty string clears it.")
    tags: list[str] | None = Field(None, description="Replaces the tags.")


class CatalogObjectPage(Page[CatalogObject]):
    facets: dict[str, dict[str, int]] | None = Field(
        None, description="With `facets=true`: counts per source, type, schema and tag."
    )


class ColumnPage(Page[Column]):
    pass


# ---------------------------------------------------------------- operations


class Check(BaseModel):
    status: Literal["ok", "error"]
    error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, Check]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["NOT_FOUND"])
    message: str
    request_id: str


class ErrorBody(BaseModel):
    error: ErrorDetail

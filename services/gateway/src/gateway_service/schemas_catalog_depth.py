"""REST bodies for catalog depth: constraints, indexes, schema versions, lineage,
transformation code, search facets, deprecation campaigns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway_service.schemas import CatalogObject, Page, Request

ConstraintType = Literal["primary_key", "foreign_key", "unique", "check", "not_null", "default"]
FkAction = Literal["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]
EdgeType = Literal["flows_to", "derived_from", "references"]
Direction = Literal["upstream", "downstream"]


class Constraint(BaseModel):
    id: int
    origin: Literal["scanned", "declared"]
    constraint_type: ConstraintType
    name: str | None
    columns: list[str]
    column_urns: list[str]
    referenced_object_urn: str | None
    referenced_column_urns: list[str]
    on_delete: str | None
    on_update: str | None
    check_expression: str | None
    default_expression: str | None
    deferrable: bool
    enforced: bool = Field(description="false for declared constraints the source lacks")
    created_by: str
    created_at: datetime | None


class ConstraintCreate(Request):
    constraint_type: ConstraintType
    name: str | None = None
    columns: list[str] = Field(min_length=1)
    referenced_object: str | None = Field(
        None, description="foreign keys: the target's ref (`source.schema.name`) or URN"
    )
    referenced_columns: list[str] = []
    on_delete: FkAction | None = None
    on_update: FkAction | None = None
    check_expression: str | None = None
    default_expression: str | None = None


class ConstraintList(BaseModel):
    items: list[Constraint]


class Index(BaseModel):
    name: str
    index_type: str
    unique: bool
    primary: bool
    columns: list[str] = Field(description='ordered key columns; "" where an expression')
    expressions: list[str]
    predicate: str | None = Field(None, description="partial index WHERE clause")
    definition: str | None


class IndexList(BaseModel):
    items: list[Index]


class SchemaChange(BaseModel):
    kind: str
    target: str
    detail: str
    breaking: bool


class SchemaVersion(BaseModel):
    version_number: int
    version: str = Field(description="semver-like; the major part moves on breaking changes")
    schema_hash: str
    change_type: Literal["created", "schema_change"]
    change_summary: str
    breaking: bool
    changes: list[SchemaChange]
    scan_id: int | None
    created_at: datetime | None
    schema_: dict[str, Any] | None = Field(None, alias="schema")


class SchemaVersionPage(Page[SchemaVersion]):
    pass


class SchemaDiff(BaseModel):
    from_version: str
    to_version: str
    breaking: bool
    bump: Literal["major", "minor", "patch"]
    changes: list[SchemaChange]


class LineageEdge(BaseModel):
    id: int
    upstream_urn: str
    upstream_ref: str
    downstream_urn: str
    downstream_ref: str
    edge_type: EdgeType
    upstream_column: str | None = Field(None, description="null for a table-level edge")
    downstream_column: str | None = None
    origin: Literal["view", "foreign_key", "declared"]
    confidence: float
    depth: int = Field(description="hops from the requested object")
    created_by: str


class ViewParse(BaseModel):
    confidence: float = Field(description="1 fully traced, 0.5 partly, 0 parse failed")
    error: str | None
    unresolved: list[str]
    parsed_at: datetime | None


class Lineage(BaseModel):
    urn: str
    edges: list[LineageEdge]
    view_parse: ViewParse | None
    next_cursor: str | None = None


class LineageEdgeCreate(Request):
    upstream: str = Field(description="ref or URN")
    downstream: str = Field(description="ref or URN")
    edge_type: EdgeType = "flows_to"
    upstream_column: str | None = None
    downstream_column: str | None = None
    confidence: float = Field(1.0, gt=0, le=1)


class TransformationCode(BaseModel):
    id: int
    origin: Literal["scanned", "declared"]
    language: str
    code_text: str
    code_hash: str
    file_path: str | None
    git_repository: str | None
    git_commit_sha: str | None
    git_branch: str | None
    created_by: str
    created_at: datetime | None


class TransformationCodePage(Page[TransformationCode]):
    pass


class TransformationCodeCreate(Request):
    language: str = Field(min_length=1, max_length=32, examples=["sql", "python", "dbt"])
    code_text: str = Field(min_length=1)
    file_path: str | None = None
    git_repository: str | None = None
    git_commit_sha: str | None = Field(None, pattern="^[0-9a-fA-F]{7,40}$")
    git_branch: str | None = None


# ---------------------------------------------------------------- deprecations

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


class DeprecationCreate(Request):
    ref: str = Field(description="the object: `source.schema.name`, URN or numeric id")
    deadline: date = Field(description="YYYY-MM-DD, today or later")
    replacement: str | None = Field(None, description="ref or URN of an existing object")
    message: str = Field("", max_length=2000)


class DeprecationPage(Page[Deprecation]):
    pass


class CatalogObjectWithDeprecation(CatalogObject):
    deprecation: Deprecation | None = Field(
        None, description="The object's open (not withdrawn) deprecation, if any."
    )
    quality_score: float | None = Field(
        None,
        description="0-100 from the latest check of each enabled quality rule (GET only; null "
        "before any check, or when the quality service cannot answer).",
    )

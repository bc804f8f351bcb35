"""REST bodies of `/capsules/{urn}/...`: an object's structure and provenance (constraints,
indexes, schema versions and diffs, transformation code)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import CODE_MAX, Page, Request

ConstraintType = Literal["primary_key", "foreign_key", "unique", "check", "not_null", "default"]
FkAction = Literal["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]


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
    change_type: Literal["created", "schema_change", "metadata_change"] = Field(
        description="metadata_change: a semantic edit (definitions, terms, description, layer)"
    )
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
    code_text: str = Field(min_length=1, max_length=CODE_MAX)
    file_path: str | None = None
    git_repository: str | None = None
    git_commit_sha: str | None = Field(None, pattern="^[0-9a-fA-F]{7,40}$")
    git_branch: str | None = None

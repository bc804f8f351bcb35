"""REST bodies of `/objects`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

from gateway_service.core.models import TAGS_MAX, Deprecation, Page, Request, Tag

ObjectType = Literal["table", "view", "materialized_view", "foreign_table", "partitioned_table"]


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
    layer: str | None = Field(
        None, description="medallion layer (bronze | silver | gold, or the configured list)"
    )


class CatalogObjectWithDeprecation(CatalogObject):
    deprecation: Deprecation | None = Field(
        None, description="The object's open (not withdrawn) deprecation, if any."
    )
    quality_score: float | None = Field(
        None,
        description="0-100 from the latest check of each enabled quality rule (GET only; null "
        "before any check, or when the quality service cannot answer).",
    )
    completeness_score: float | None = Field(
        None,
        description="0-100 metadata completeness, as `GET /capsules/{urn}/completeness` gives it "
        "with its missing items (GET only; null when the catalog cannot answer it).",
    )


class ObjectUpdate(Request):
    description: str | None = Field(None, description="Empty string clears it.")
    tags: list[Tag] | None = Field(None, max_length=TAGS_MAX, description="Replaces the tags.")
    layer: str | None = Field(
        None,
        max_length=32,
        description="One of the configured layers (default bronze, silver, gold); empty clears it.",
    )


class CatalogObjectPage(Page[CatalogObject]):
    facets: dict[str, dict[str, int]] | None = Field(
        None, description="With `facets=true`: counts per source, type, schema and tag."
    )


class ColumnPage(Page[Column]):
    pass

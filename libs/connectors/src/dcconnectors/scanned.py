"""What a metadata reader returns: the objects of a source with their columns, constraints,
indexes, partitioning and statistics, in one vocabulary for every source type. Pure data; the
catalog decides what counts as a change (catalog_service.domain.models)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OBJECT_TYPES = ("table", "view", "materialized_view", "foreign_table", "partitioned_table")


@dataclass(frozen=True)
class ScannedColumn:
    name: str
    ordinal: int
    data_type: str
    nullable: bool
    default_expression: str | None = None
    comment: str | None = None


CONSTRAINT_TYPES = ("primary_key", "foreign_key", "unique", "check", "not_null", "default")
INDEX_TYPES = ("btree", "hash", "gin", "gist", "brin", "spgist")


@dataclass(frozen=True)
class ScannedConstraint:
    """A table constraint. Foreign keys name their target by (schema, table, columns) as the
    source sees it; URNs are derived when stored (they need the source's name and type)."""

    constraint_type: str
    name: str | None
    columns: tuple[str, ...]
    referenced_schema: str | None = None
    referenced_table: str | None = None
    referenced_columns: tuple[str, ...] = ()
    on_delete: str | None = None
    on_update: str | None = None
    check_expression: str | None = None
    default_expression: str | None = None
    deferrable: bool = False
    enforced: bool = True


@dataclass(frozen=True)
class ScannedIndex:
    name: str
    index_type: str
    unique: bool
    primary: bool
    columns: tuple[str, ...]  # ordered; an expression key is "" here and listed in expressions
    expressions: tuple[str, ...] = ()
    predicate: str | None = None
    definition: str | None = None


@dataclass(frozen=True)
class Partitioning:
    strategy: str  # range | list | hash
    key: tuple[str, ...]
    expression: str


@dataclass(frozen=True)
class Statistics:
    """Volatile numbers (ANALYZE, inserts change them): stored, never part of the catalog's
    change hashes."""

    size_bytes: int | None = None
    row_estimate: int | None = None
    last_analyzed_at: datetime | None = None


@dataclass(frozen=True)
class ScannedObject:
    schema: str
    name: str
    object_type: str
    comment: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    columns: tuple[ScannedColumn, ...] = ()
    constraints: tuple[ScannedConstraint, ...] = ()
    indexes: tuple[ScannedIndex, ...] = ()
    partitioning: Partitioning | None = None
    definition: str | None = None  # view / materialized view SQL
    storage_format: str | None = None
    stats: Statistics = field(default_factory=Statistics)

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

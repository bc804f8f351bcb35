"""What a metadata scan finds, independent of the source and of storage."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
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
    """Volatile numbers (ANALYZE, inserts change them): stored, never part of any hash."""

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

    def content_hash(self) -> str:
        """Digest of everything a scan stores except statistics; unchanged hash = no write
        needed. Statistics are left out so an ANALYZE does not count as a change."""
        body = asdict(self)
        del body["stats"]
        return _digest(body)

    def schema_hash(self) -> str:
        """Digest of the schema alone (no comments, owner or statistics): a new version of
        the object is recorded exactly when this changes."""
        return _digest(schema_snapshot(self))


def schema_snapshot(obj: ScannedObject) -> dict[str, Any]:
    """The versioned shape of an object, as JSON-ready data."""
    return {
        "object_type": obj.object_type,
        "columns": [
            {
                "name": c.name,
                "data_type": c.data_type,
                "nullable": c.nullable,
                "default": c.default_expression,
            }
            for c in sorted(obj.columns, key=lambda c: c.ordinal)
        ],
        "constraints": sorted(
            (
                {
                    "type": c.constraint_type,
                    "name": c.name,
                    "columns": list(c.columns),
                    "references": (
                        f"{c.referenced_schema}.{c.referenced_table}({','.join(c.referenced_columns)})"
                        if c.referenced_table
                        else None
                    ),
                    "check": c.check_expression,
                }
                for c in obj.constraints
                if c.constraint_type not in ("not_null", "default")  # already on the columns
            ),
            key=lambda c: (c["type"], c["name"] or "", c["columns"]),
        ),
        "indexes": sorted(
            (
                {
                    "name": i.name,
                    "type": i.index_type,
                    "unique": i.unique,
                    "columns": list(i.columns),
                    "expressions": list(i.expressions),
                    "predicate": i.predicate,
                }
                for i in obj.indexes
            ),
            key=lambda i: i["name"],
        ),
        "partitioning": asdict(obj.partitioning) if obj.partitioning else None,
        "definition": obj.definition,
    }


def _digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class ExistingObject:
    id: int
    content_hash: str
    deleted: bool
    stats: Statistics = field(default_factory=Statistics)


@dataclass
class ReconcilePlan:
    create: list[ScannedObject] = field(default_factory=list)
    change: list[tuple[int, ScannedObject]] = field(default_factory=list)
    unchanged_ids: list[int] = field(default_factory=list)
    # Unchanged structure, new statistics: a stats-only write, not an update.
    restat: list[tuple[int, Statistics]] = field(default_factory=list)
    vanished_ids: list[int] = field(default_factory=list)


def reconcile(
    existing: dict[tuple[str, str], ExistingObject], scanned: list[ScannedObject]
) -> ReconcilePlan:
    """Decide what a scan writes: new objects, changed or revived ones, and ones that vanished
    from the source (marked deleted, never silently kept)."""
    plan = ReconcilePlan()
    seen: set[tuple[str, str]] = set()
    for obj in scanned:
        seen.add(obj.key)
        known = existing.get(obj.key)
        if known is None:
            plan.create.append(obj)
        elif known.deleted or known.content_hash != obj.content_hash():
            plan.change.append((known.id, obj))
        else:
            plan.unchanged_ids.append(known.id)
            if known.stats != obj.stats:
                plan.restat.append((known.id, obj.stats))
    plan.vanished_ids = [
        ex.id for key, ex in existing.items() if key not in seen and not ex.deleted
    ]
    return plan

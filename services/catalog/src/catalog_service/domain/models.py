"""What the catalog makes of a metadata scan: when an object changed (content and schema
hashes), its versioned shape, and what a scan writes. The scanned objects themselves are the
connectors' neutral model (dcconnectors.scanned), re-exported here for the catalog's code."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from dcconnectors.scanned import (
    CONSTRAINT_TYPES,
    INDEX_TYPES,
    OBJECT_TYPES,
    Partitioning,
    ScannedColumn,
    ScannedConstraint,
    ScannedIndex,
    ScannedObject,
    Statistics,
)

__all__ = [
    "CONSTRAINT_TYPES",
    "INDEX_TYPES",
    "OBJECT_TYPES",
    "ExistingObject",
    "Partitioning",
    "ReconcilePlan",
    "ScannedColumn",
    "ScannedConstraint",
    "ScannedIndex",
    "ScannedObject",
    "Statistics",
    "content_hash",
    "reconcile",
    "schema_hash",
    "schema_snapshot",
]


def content_hash(obj: ScannedObject) -> str:
    """Digest of everything a scan stores except statistics; unchanged hash = no write
    needed. Statistics are left out so an ANALYZE does not count as a change."""
    body = asdict(obj)
    del body["stats"]
    return _digest(body)


def schema_hash(obj: ScannedObject) -> str:
    """Digest of the schema alone (no comments, owner or statistics): a new version of the
    object is recorded exactly when this changes."""
    return _digest(schema_snapshot(obj))


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
        elif known.deleted or known.content_hash != content_hash(obj):
            plan.change.append((known.id, obj))
        else:
            plan.unchanged_ids.append(known.id)
            if known.stats != obj.stats:
                plan.restat.append((known.id, obj.stats))
    plan.vanished_ids = [
        ex.id for key, ex in existing.items() if key not in seen and not ex.deleted
    ]
    return plan

"""What a metadata scan finds, independent of the source and of storage."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
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


@dataclass(frozen=True)
class ScannedObject:
    schema: str
    name: str
    object_type: str
    comment: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    columns: tuple[ScannedColumn, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    def content_hash(self) -> str:
        """Stable digest of everything a scan stores; unchanged hash = no write needed."""
        body = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class ExistingObject:
    id: int
    content_hash: str
    deleted: bool


@dataclass
class ReconcilePlan:
    create: list[ScannedObject] = field(default_factory=list)
    change: list[tuple[int, ScannedObject]] = field(default_factory=list)
    unchanged_ids: list[int] = field(default_factory=list)
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
    plan.vanished_ids = [
        ex.id for key, ex in existing.items() if key not in seen and not ex.deleted
    ]
    return plan

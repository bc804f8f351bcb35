"""What the catalog makes of a metadata scan: when an object changed (its content hash), what a
scan writes, and how a run is told (statuses, its audit record). The scanned objects themselves
are the connectors' neutral model (dcconnectors.scanned), re-exported here for the catalog's
code."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
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
]

RUNNING, SUCCEEDED, FAILED, CANCELLED = "running", "succeeded", "failed", "cancelled"
OUTCOME_ACTIONS = {SUCCEEDED: "scan.complete", FAILED: "scan.failed", CANCELLED: "scan.cancelled"}
COUNTS = ("objects_created", "objects_updated", "objects_deleted")


def content_hash(obj: ScannedObject) -> str:
    """Digest of everything a scan stores except statistics; unchanged hash = no write
    needed. Statistics are left out so an ANALYZE does not count as a change."""
    body = asdict(obj)
    del body["stats"]
    return digest(body)


def digest(body: Any) -> str:
    """sha256 of JSON-ready data, independent of key order."""
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


def counts(plan: ReconcilePlan, found: list[ScannedObject]) -> dict[str, Any]:
    """What a successful run records about the scan."""
    return {
        "status": SUCCEEDED,
        "objects_found": len(found),
        "objects_total": len(found),
        "objects_done": len(found),
        "objects_created": len(plan.create),
        "objects_updated": len(plan.change),
        "objects_deleted": len(plan.vanished_ids),
        "columns_found": sum(len(o.columns) for o in found),
    }


def outcome(run: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """How a run ended as an audit diff (before, after): its status, what it changed in the
    catalog and its error (one record per scan, not one per object: the objects' own history
    is in their schema versions)."""
    after: dict[str, Any] = {"status": run["status"]}
    after |= {k: run[k] for k in COUNTS if run.get(k)}
    if run.get("error"):
        after["error"] = run["error"]
    return {"status": RUNNING}, after

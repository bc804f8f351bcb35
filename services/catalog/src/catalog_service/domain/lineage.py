"""Lineage: edges between objects (table level, or column to column) with their origin — a
foreign key (the referenced table is upstream), a view's SQL, or declared by people and tools —
and how far a walk may go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalog_service.domain.scans import ScannedObject
from catalog_service.domain.structure import ObjectIndex
from catalog_service.domain.view_lineage import SchemaColumns, parse_view
from dckit.errors import InvalidArgument

EDGE_TYPES = ("flows_to", "derived_from", "references")
DIRECTIONS = ("upstream", "downstream")
MAX_DEPTH = 10
DEFAULT_DEPTH = 3
SCANNED_ORIGINS = ("view", "foreign_key")


def directions(direction: str) -> list[str]:
    """The directions to walk: the one asked for, or both (upstream first)."""
    if direction and direction not in DIRECTIONS:
        raise InvalidArgument("direction must be upstream, downstream or empty (both)")
    return [direction] if direction else list(DIRECTIONS)


def check_depth(depth: int) -> int:
    depth = depth or DEFAULT_DEPTH
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidArgument(f"depth must be between 1 and {MAX_DEPTH}")
    return depth


@dataclass(frozen=True)
class EdgeSpec:
    """An edge the scans cannot see, declared by a person or a tool."""

    upstream: str  # ref, URN or id
    downstream: str
    edge_type: str = ""
    upstream_column: str = ""
    downstream_column: str = ""
    confidence: float = 0.0

    def validated(self) -> EdgeSpec:
        """This spec checked, with its defaults (flows_to, confidence 1)."""
        edge_type = self.edge_type or "flows_to"
        if edge_type not in EDGE_TYPES:
            raise InvalidArgument(f"edge_type must be one of {', '.join(EDGE_TYPES)}")
        confidence = self.confidence or 1.0
        if not 0 < confidence <= 1:
            raise InvalidArgument("confidence must be in (0, 1]")
        if bool(self.upstream_column) != bool(self.downstream_column):
            raise InvalidArgument("a column edge names both upstream_column and downstream_column")
        return EdgeSpec(
            self.upstream,
            self.downstream,
            edge_type,
            self.upstream_column,
            self.downstream_column,
            confidence,
        )

    def row(self, upstream_id: int, downstream_id: int, actor: str) -> dict[str, Any]:
        if upstream_id == downstream_id:
            raise InvalidArgument("an edge needs two different objects")
        return {
            **edge(
                upstream_id,
                downstream_id,
                self.edge_type,
                "declared",
                self.upstream_column,
                self.downstream_column,
                self.confidence,
            ),
            "created_by": actor,
        }


def edge(
    upstream_id: int,
    downstream_id: int,
    edge_type: str,
    origin: str,
    upstream_column: str = "",
    downstream_column: str = "",
    confidence: float = 1.0,
) -> dict[str, Any]:
    return {
        "upstream_id": upstream_id,
        "downstream_id": downstream_id,
        "edge_type": edge_type,
        "upstream_column": upstream_column,
        "downstream_column": downstream_column,
        "origin": origin,
        "confidence": confidence,
    }


# ------------------------------------------------------------ what a scan records
def foreign_key_edges(
    known: ObjectIndex, object_id: int, obj: ScannedObject
) -> list[dict[str, Any]]:
    """A foreign key: the referenced table is upstream of the referencing one ("references")."""
    rows = []
    for con in obj.constraints:
        if con.constraint_type != "foreign_key" or not con.referenced_table:
            continue
        target = known.get((con.referenced_schema or obj.schema, con.referenced_table))
        if target is None:
            continue
        rows.append(edge(target.id, object_id, "references", "foreign_key"))
        for up_col, down_col in zip(con.referenced_columns, con.columns, strict=False):
            rows.append(edge(target.id, object_id, "references", "foreign_key", up_col, down_col))
    return rows


def view_edges(
    known: ObjectIndex, columns: SchemaColumns, object_id: int, obj: ScannedObject
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A view's table and column edges from its SQL, and how the SQL parsed (kept even when
    it did not: a parse never disappears silently)."""
    parsed = parse_view(obj.definition or "", columns)
    rows: list[dict[str, Any]] = []
    unresolved = sorted({f"{s}.{t}" for s, t in parsed.tables if (s, t) not in known})
    for key in parsed.tables:
        if key in known and known[key].id != object_id:
            rows.append(
                edge(known[key].id, object_id, "flows_to", "view", confidence=parsed.confidence)
            )
    for col in parsed.columns:
        upstream = known.get(col.upstream)
        if upstream is not None and upstream.id != object_id:
            rows.append(
                edge(
                    upstream.id,
                    object_id,
                    "derived_from",
                    "view",
                    col.upstream_column,
                    col.downstream_column,
                    parsed.confidence,
                )
            )
    parse = {
        "object_id": object_id,
        "confidence": parsed.confidence,
        "error": parsed.error,
        "unresolved": unresolved,
    }
    return rows, parse


def scanned_edges(
    known: ObjectIndex,
    written: Sequence[tuple[int, ScannedObject]],
    found: Sequence[ScannedObject],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Edges (from foreign keys and views) and view parses of the objects a scan wrote."""
    columns: SchemaColumns = {obj.key: [c.name for c in obj.columns] for obj in found}
    edges: list[dict[str, Any]] = []
    parses: list[dict[str, Any]] = []
    for object_id, obj in written:
        edges.extend(foreign_key_edges(known, object_id, obj))
        if obj.definition:
            view, parse = view_edges(known, columns, object_id, obj)
            edges.extend(view)
            parses.append(parse)
    return edges, parses

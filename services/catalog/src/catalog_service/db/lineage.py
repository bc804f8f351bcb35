"""SQL of lineage: edges between objects and the parses of views' SQL. Methods run in the
caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, delete, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.tables import lineage_edges, objects, view_parses
from catalog_service.domain.lineage import SCANNED_ORIGINS
from dckit.db import fetch_all, fetch_first, fetch_one

Record = dict[str, Any]

# Edges reachable from an object within :depth hops, one row per edge at its shortest hop
# distance. The recursion walks objects, not paths or edges: `reach` holds each object once
# per hop count (UNION drops repeats, and an edge per view column adds no row), so its size
# is at most objects x depth, capped at :max_reach rows (breadth first: the nearest are kept).
# The edges, column edges included, are joined afterwards. {near}/{far}: the edge's end at the
# walked object and the end it leads to.
WALK = """
WITH RECURSIVE reach(object_id, depth) AS (
    SELECT CAST(:root AS bigint), 0
  UNION
    SELECT e.{far}, r.depth + 1
    FROM reach r JOIN catalog.lineage_edges e ON e.{near} = r.object_id
    WHERE r.depth < :depth - 1
), nearest AS (
    SELECT object_id, min(depth) AS depth
    FROM (SELECT * FROM reach LIMIT :max_reach) capped
    GROUP BY object_id
)
SELECT e.*, n.depth + 1 AS depth, up.urn AS upstream_urn, up.ref AS upstream_ref,
       down.urn AS downstream_urn, down.ref AS downstream_ref
FROM nearest n
JOIN catalog.lineage_edges e ON e.{near} = n.object_id
JOIN catalog.objects up ON up.id = e.upstream_id
JOIN catalog.objects down ON down.id = e.downstream_id
ORDER BY n.depth, up.ref, down.ref, e.edge_type, e.upstream_column,
         e.downstream_column, e.id
OFFSET :offset LIMIT :limit
"""
# Rows the walk may visit (object x hop count) before it stops looking further.
MAX_REACH = 50_000
WALKS = {
    "upstream": text(WALK.format(near="downstream_id", far="upstream_id")),
    "downstream": text(WALK.format(near="upstream_id", far="downstream_id")),
}
UNIQUE = ("upstream_id", "downstream_id", "edge_type", "upstream_column", "downstream_column")


def _edge_with_ends() -> Select[Any]:
    """An edge as a walk shows it one hop away: with both ends' URN and ref."""
    up, down = objects.alias("up"), objects.alias("down")
    return (
        select(
            *lineage_edges.c,
            up.c.urn.label("upstream_urn"),
            up.c.ref.label("upstream_ref"),
            down.c.urn.label("downstream_urn"),
            down.c.ref.label("downstream_ref"),
        )
        .join(up, up.c.id == lineage_edges.c.upstream_id)
        .join(down, down.c.id == lineage_edges.c.downstream_id)
    )


class LineageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def replace_scanned(
        self,
        object_ids: Sequence[int],
        edges: Sequence[Mapping[str, Any]],
        parses: Sequence[Mapping[str, Any]],
    ) -> None:
        """What a scan found for these objects (as downstream ends) replaces what earlier scans
        found; declared edges (origin 'declared') are left alone."""
        if not object_ids:
            return
        ids = list(object_ids)
        await self.s.execute(
            delete(lineage_edges).where(
                lineage_edges.c.downstream_id.in_(ids),
                lineage_edges.c.origin.in_(SCANNED_ORIGINS),
            )
        )
        await self.s.execute(delete(view_parses).where(view_parses.c.object_id.in_(ids)))
        if edges:
            await self.s.execute(pg_insert(lineage_edges).on_conflict_do_nothing(), list(edges))
        if parses:
            await self.s.execute(insert(view_parses), list(parses))

    async def add_edge(self, values: Mapping[str, Any]) -> Record:
        """The declared edge, new or already there (declaring it twice is no error)."""
        await self.s.execute(pg_insert(lineage_edges).values(**values).on_conflict_do_nothing())
        query = _edge_with_ends().where(
            *(lineage_edges.c[name] == values[name] for name in UNIQUE),
            lineage_edges.c.origin == values["origin"],
        )
        return {**await fetch_one(self.s, query), "depth": 1}

    async def walk(
        self, object_id: int, direction: str, depth: int, offset: int, count: int
    ) -> list[Record]:
        """Edges reachable from the object within `depth` hops (recursive CTE), nearest first."""
        params = {
            "root": object_id,
            "depth": depth,
            "offset": offset,
            "limit": count,
            "max_reach": MAX_REACH,
        }
        return await fetch_all(self.s, WALKS[direction], params)

    async def view_parse(self, object_id: int) -> Record | None:
        return await fetch_first(
            self.s, select(view_parses).where(view_parses.c.object_id == object_id)
        )

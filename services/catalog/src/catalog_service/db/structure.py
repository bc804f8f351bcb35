"""SQL for an object's structure and provenance: constraints, indexes, schema versions,
lineage edges, view parses and transformation code. Methods take the caller's session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.repository import Row
from catalog_service.db.tables import (
    constraints,
    indexes,
    lineage_edges,
    object_versions,
    objects,
    sources,
    transformation_code,
    view_parses,
)

SCANNED_EDGE_ORIGINS = ("view", "foreign_key")


class StructureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ scan writes
    async def object_ids(self, source_id: int) -> dict[tuple[str, str], tuple[int, str, str]]:
        """(schema, name) -> (id, urn, object_type) for every object of the source."""
        rows = await self.s.execute(
            select(
                objects.c.schema_name,
                objects.c.name,
                objects.c.id,
                objects.c.urn,
                objects.c.object_type,
            ).where(objects.c.source_id == source_id)
        )
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows.all()}

    async def replace_scanned(
        self,
        object_ids: Sequence[int],
        constraint_rows: list[dict[str, Any]],
        index_rows: list[dict[str, Any]],
        edge_rows: list[dict[str, Any]],
        parse_rows: list[dict[str, Any]],
    ) -> None:
        """What a scan found for these objects replaces what earlier scans found; declared
        constraints and edges (origin 'declared') are left alone."""
        if not object_ids:
            return
        ids = list(object_ids)
        await self.s.execute(
            delete(constraints).where(
                constraints.c.object_id.in_(ids), constraints.c.origin == "scanned"
            )
        )
        await self.s.execute(delete(indexes).where(indexes.c.object_id.in_(ids)))
        await self.s.execute(
            delete(lineage_edges).where(
                lineage_edges.c.downstream_id.in_(ids),
                lineage_edges.c.origin.in_(SCANNED_EDGE_ORIGINS),
            )
        )
        await self.s.execute(delete(view_parses).where(view_parses.c.object_id.in_(ids)))
        if constraint_rows:
            await self.s.execute(insert(constraints), constraint_rows)
        if index_rows:
            await self.s.execute(insert(indexes), index_rows)
        if edge_rows:
            await self.s.execute(pg_insert(lineage_edges).on_conflict_do_nothing(), edge_rows)
        if parse_rows:
            await self.s.execute(insert(view_parses), parse_rows)

    async def current_versions(self, object_ids: Sequence[int]) -> dict[int, Row]:
        if not object_ids:
            return {}
        rows = await self.s.execute(
            select(object_versions)
            .where(object_versions.c.object_id.in_(list(object_ids)))
            .distinct(object_versions.c.object_id)
            .order_by(object_versions.c.object_id, object_versions.c.version_number.desc())
        )
        return {r["object_id"]: r for r in rows.mappings().all()}

    async def insert_versions(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.s.execute(insert(object_versions), rows)

    async def latest_scanned_code(self, object_ids: Sequence[int]) -> dict[int, str]:
        """object id -> code hash of the newest scanned transformation code."""
        if not object_ids:
            return {}
        rows = await self.s.execute(
            select(transformation_code.c.object_id, transformation_code.c.code_hash)
            .where(
                transformation_code.c.object_id.in_(list(object_ids)),
                transformation_code.c.origin == "scanned",
            )
            .distinct(transformation_code.c.object_id)
            .order_by(transformation_code.c.object_id, transformation_code.c.id.desc())
        )
        return {r[0]: r[1] for r in rows.all()}

    async def insert_code(self, rows: list[dict[str, Any]]) -> list[Row]:
        if not rows:
            return []
        result = await self.s.execute(
            insert(transformation_code).returning(transformation_code), rows
        )
        return list(result.mappings().all())

    # ------------------------------------------------------------ reads
    async def list_constraints(self, object_id: int) -> Sequence[Row]:
        return (
            (
                await self.s.execute(
                    select(constraints)
                    .where(constraints.c.object_id == object_id)
                    .order_by(
                        constraints.c.origin.desc(),
                        constraints.c.constraint_type,
                        constraints.c.name,
                        constraints.c.id,
                    )
                )
            )
            .mappings()
            .all()
        )

    async def insert_constraint(self, values: dict[str, Any]) -> Row:
        result = await self.s.execute(insert(constraints).values(**values).returning(constraints))
        return result.mappings().one()

    async def list_indexes(self, object_id: int) -> Sequence[Row]:
        return (
            (
                await self.s.execute(
                    select(indexes).where(indexes.c.object_id == object_id).order_by(indexes.c.name)
                )
            )
            .mappings()
            .all()
        )

    async def list_versions(self, object_id: int, offset: int, limit: int) -> Sequence[Row]:
        return (
            (
                await self.s.execute(
                    select(object_versions)
                    .where(object_versions.c.object_id == object_id)
                    .order_by(object_versions.c.version_number.desc())
                    .offset(offset)
                    .limit(limit)
                )
            )
            .mappings()
            .all()
        )

    async def get_version(self, object_id: int, version: str) -> Row | None:
        """`version` is the number ("3") or the semver name ("2.1.0")."""
        cond = (
            object_versions.c.version_number == int(version)
            if version.isdigit()
            else object_versions.c.version == version
        )
        return (
            (
                await self.s.execute(
                    select(object_versions).where(object_versions.c.object_id == object_id, cond)
                )
            )
            .mappings()
            .first()
        )

    async def list_code(self, object_id: int, offset: int, limit: int) -> Sequence[Row]:
        return (
            (
                await self.s.execute(
                    select(transformation_code)
                    .where(transformation_code.c.object_id == object_id)
                    .order_by(transformation_code.c.id.desc())
                    .offset(offset)
                    .limit(limit)
                )
            )
            .mappings()
            .all()
        )

    async def view_parse(self, object_id: int) -> Row | None:
        return (
            (await self.s.execute(select(view_parses).where(view_parses.c.object_id == object_id)))
            .mappings()
            .first()
        )

    async def insert_edges(self, rows: list[dict[str, Any]]) -> int:
        result = await self.s.execute(
            pg_insert(lineage_edges).on_conflict_do_nothing().returning(lineage_edges.c.id), rows
        )
        return len(result.all())

    async def lineage(
        self, object_id: int, direction: str, depth: int, offset: int, limit: int
    ) -> Sequence[Row]:
        """Edges reachable from the object within `depth` hops (recursive CTE), one row per
        edge at its shortest hop distance; a path stops when it would revisit an object."""
        near, far = (
            ("downstream_id", "upstream_id")
            if direction == "upstream"
            else ("upstream_id", "downstream_id")
        )
        query = text(
            f"""
            WITH RECURSIVE walk(edge_id, next_id, depth, path) AS (
                SELECT e.id, e.{far}, 1, ARRAY[CAST(:root AS bigint)]
                FROM catalog.lineage_edges e WHERE e.{near} = :root
              UNION ALL
                SELECT e.id, e.{far}, w.depth + 1, w.path || w.next_id
                FROM walk w JOIN catalog.lineage_edges e ON e.{near} = w.next_id
                WHERE w.depth < :depth AND NOT w.next_id = ANY(w.path)
            ), hops AS (
                SELECT edge_id, min(depth) AS depth FROM walk GROUP BY edge_id
            )
            SELECT e.*, h.depth, up.urn AS upstream_urn, up.ref AS upstream_ref,
                   down.urn AS downstream_urn, down.ref AS downstream_ref
            FROM hops h
            JOIN catalog.lineage_edges e ON e.id = h.edge_id
            JOIN catalog.objects up ON up.id = e.upstream_id
            JOIN catalog.objects down ON down.id = e.downstream_id
            ORDER BY h.depth, up.ref, down.ref, e.edge_type, e.upstream_column,
                     e.downstream_column, e.id
            OFFSET :offset LIMIT :limit
            """
        )
        result = await self.s.execute(
            query, {"root": object_id, "depth": depth, "offset": offset, "limit": limit}
        )
        return result.mappings().all()

    async def object_urns(self, object_ids: Sequence[int]) -> dict[int, str]:
        rows = await self.s.execute(
            select(objects.c.id, objects.c.urn).where(objects.c.id.in_(list(object_ids)))
        )
        return {r[0]: r[1] for r in rows.all()}

    async def source_type_of(self, object_id: int) -> str | None:
        return await self.s.scalar(
            select(sources.c.source_type)
            .join(objects, objects.c.source_id == sources.c.id)
            .where(objects.c.id == object_id)
        )

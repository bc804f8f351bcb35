"""SQL of an object's structure: constraints, indexes, schema versions and transformation code.
Methods run in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.tables import constraints, indexes, object_versions, transformation_code
from catalog_service.domain.objects import column_urn
from dckit.db import fetch_all, fetch_first, fetch_one
from dckit.ids import is_digits

Record = dict[str, Any]


class StructureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ constraints, indexes
    async def replace_scanned(
        self,
        object_ids: Sequence[int],
        constraint_rows: Sequence[Mapping[str, Any]],
        index_rows: Sequence[Mapping[str, Any]],
    ) -> None:
        """What a scan found for these objects replaces what earlier scans found; declared
        constraints (origin 'declared') are left alone."""
        if not object_ids:
            return
        ids = list(object_ids)
        await self.s.execute(
            delete(constraints).where(
                constraints.c.object_id.in_(ids), constraints.c.origin == "scanned"
            )
        )
        await self.s.execute(delete(indexes).where(indexes.c.object_id.in_(ids)))
        if constraint_rows:
            await self.s.execute(insert(constraints), list(constraint_rows))
        if index_rows:
            await self.s.execute(insert(indexes), list(index_rows))

    async def constraints(self, obj: Mapping[str, Any]) -> list[Record]:
        """The object's constraints, scanned first, each with its columns' URNs."""
        rows = await fetch_all(
            self.s,
            select(constraints)
            .where(constraints.c.object_id == obj["id"])
            .order_by(
                constraints.c.origin.desc(),
                constraints.c.constraint_type,
                constraints.c.name,
                constraints.c.id,
            ),
        )
        return [_with_column_urns(obj, r) for r in rows]

    async def add_constraint(self, obj: Mapping[str, Any], values: Mapping[str, Any]) -> Record:
        row = await fetch_one(self.s, insert(constraints).values(**values).returning(constraints))
        return _with_column_urns(obj, row)

    async def indexes(self, object_id: int) -> list[Record]:
        return await fetch_all(
            self.s,
            select(indexes).where(indexes.c.object_id == object_id).order_by(indexes.c.name),
        )

    # ------------------------------------------------------------ versions
    async def current_versions(self, object_ids: Sequence[int]) -> dict[int, Record]:
        if not object_ids:
            return {}
        rows = await fetch_all(
            self.s,
            select(object_versions)
            .where(object_versions.c.object_id.in_(list(object_ids)))
            .distinct(object_versions.c.object_id)
            .order_by(object_versions.c.object_id, object_versions.c.version_number.desc()),
        )
        return {r["object_id"]: r for r in rows}

    async def add_versions(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await self.s.execute(insert(object_versions), list(rows))

    async def versions(self, object_id: int, offset: int, count: int) -> list[Record]:
        return await fetch_all(
            self.s,
            select(object_versions)
            .where(object_versions.c.object_id == object_id)
            .order_by(object_versions.c.version_number.desc())
            .offset(offset)
            .limit(count),
        )

    async def version(self, object_id: int, version: str) -> Record | None:
        """`version` is the number ("3") or the semver name ("2.1.0")."""
        if is_digits(version) and int(version) > 2**31 - 1:
            return None  # beyond the column's range: no such version
        cond = (
            object_versions.c.version_number == int(version)
            if is_digits(version)
            else object_versions.c.version == version
        )
        return await fetch_first(
            self.s, select(object_versions).where(object_versions.c.object_id == object_id, cond)
        )

    # ------------------------------------------------------------ transformation code
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

    async def add_code(self, rows: Sequence[Mapping[str, Any]]) -> list[Record]:
        if not rows:
            return []
        return await fetch_all(
            self.s, insert(transformation_code).returning(transformation_code), list(rows)
        )

    async def code(self, object_id: int, offset: int, count: int) -> list[Record]:
        return await fetch_all(
            self.s,
            select(transformation_code)
            .where(transformation_code.c.object_id == object_id)
            .order_by(transformation_code.c.id.desc())
            .offset(offset)
            .limit(count),
        )


def _with_column_urns(obj: Mapping[str, Any], row: Record) -> Record:
    return {**row, "column_urns": [column_urn(obj["urn"], c) for c in row["columns"]]}

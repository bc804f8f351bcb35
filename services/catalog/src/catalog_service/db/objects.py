"""SQL of catalog objects and their columns: what a scan writes (in bulk), lookups and user
edits (search is db/search.py). Methods run in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.search import OBJECT_COLUMNS
from catalog_service.db.tables import columns, objects, sources
from catalog_service.domain.objects import ObjectLookup, column_urn, object_ref, object_urn
from catalog_service.domain.scans import (
    ExistingObject,
    ReconcilePlan,
    ScannedObject,
    Statistics,
    content_hash,
)
from catalog_service.domain.structure import KnownObject, ObjectIndex, schema_hash
from dckit.db import fetch_all, fetch_first

Record = dict[str, Any]

STRUCTURE_FIELDS = (
    "schema_hash",
    "partition_strategy",
    "partition_key",
    "partition_expression",
    "storage_format",
)
STATS_FIELDS = ("size_bytes", "row_estimate", "last_analyzed_at")


class ObjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ scan writes
    async def existing(self, source_id: int) -> dict[tuple[str, str], ExistingObject]:
        query = select(
            objects.c.id,
            objects.c.schema_name,
            objects.c.name,
            objects.c.content_hash,
            objects.c.deleted,
            objects.c.size_bytes,
            objects.c.row_estimate,
            objects.c.last_analyzed_at,
        ).where(objects.c.source_id == source_id)
        return {
            (r.schema_name, r.name): ExistingObject(
                r.id,
                r.content_hash,
                r.deleted,
                Statistics(r.size_bytes, r.row_estimate, r.last_analyzed_at),
            )
            for r in (await self.s.execute(query)).all()
        }

    async def apply_plan(
        self, source: Mapping[str, Any], plan: ReconcilePlan
    ) -> list[tuple[int, ScannedObject]]:
        """Write a reconcile plan in bulk: one statement per kind of change. Returns the
        objects written (created or changed) with their ids."""
        written: list[tuple[int, ScannedObject]] = list(plan.change)
        if plan.create:
            ids = (
                (
                    await self.s.execute(
                        insert(objects).returning(objects.c.id),
                        [self._object_values(source, obj) for obj in plan.create],
                    )
                )
                .scalars()
                .all()
            )
            created = list(zip(ids, plan.create, strict=True))
            await self._insert_columns(created)
            written = created + written
        if plan.change:
            changed_ids = [object_id for object_id, _ in plan.change]
            await self.s.execute(delete(columns).where(columns.c.object_id.in_(changed_ids)))
            stmt = update(objects).where(objects.c.id == bindparam("b_id"))
            await self.s.execute(
                stmt.values(
                    object_type=bindparam("b_object_type"),
                    urn=bindparam("b_urn"),
                    source_metadata=bindparam("b_source_metadata"),
                    content_hash=bindparam("b_content_hash"),
                    column_count=bindparam("b_column_count"),
                    **{
                        name: bindparam(f"b_{name}")
                        for name in (*STRUCTURE_FIELDS, *STATS_FIELDS, "column_names")
                    },
                    deleted=False,
                    deleted_at=None,
                    last_seen_at=func.now(),
                    updated_at=func.now(),
                ),
                [
                    {
                        "b_id": object_id,
                        **{
                            f"b_{k}": v
                            for k, v in self._object_values(source, obj).items()
                            if k not in ("source_id", "schema_name", "name", "ref")
                        },
                    }
                    for object_id, obj in plan.change
                ],
            )
            await self._insert_columns(plan.change)
        if plan.unchanged_ids:
            await self.s.execute(
                update(objects)
                .where(objects.c.id.in_(plan.unchanged_ids))
                .values(last_seen_at=func.now())
            )
        if plan.restat:
            # Statistics only: not an update of the object (updated_at stays).
            await self.s.execute(
                update(objects)
                .where(objects.c.id == bindparam("b_id"))
                .values({name: bindparam(f"b_{name}") for name in STATS_FIELDS}),
                [
                    {"b_id": object_id, **{f"b_{k}": v for k, v in asdict(stats).items()}}
                    for object_id, stats in plan.restat
                ],
            )
        if plan.vanished_ids:
            await self.s.execute(
                update(objects)
                .where(objects.c.id.in_(plan.vanished_ids))
                .values(deleted=True, deleted_at=func.now(), updated_at=func.now())
            )
        return written

    def _object_values(self, source: Mapping[str, Any], obj: ScannedObject) -> dict[str, Any]:
        urn = object_urn(
            source["source_type"], obj.object_type, source["name"], obj.schema, obj.name
        )
        return {
            "source_id": source["id"],
            "schema_name": obj.schema,
            "name": obj.name,
            "object_type": obj.object_type,
            "ref": object_ref(source["name"], obj.schema, obj.name),
            "urn": urn,
            "source_metadata": obj.metadata,
            "content_hash": content_hash(obj),
            "column_count": len(obj.columns),
            "schema_hash": schema_hash(obj),
            "partition_strategy": obj.partitioning.strategy if obj.partitioning else None,
            "partition_key": list(obj.partitioning.key) if obj.partitioning else None,
            "partition_expression": obj.partitioning.expression if obj.partitioning else None,
            "storage_format": obj.storage_format,
            **asdict(obj.stats),
            "column_names": " ".join(c.name for c in obj.columns),
        }

    async def _insert_columns(self, pairs: Sequence[tuple[int, ScannedObject]]) -> None:
        rows = [
            {
                "object_id": object_id,
                "name": col.name,
                "ordinal": col.ordinal,
                "data_type": col.data_type,
                "nullable": col.nullable,
                "default_expression": col.default_expression,
                "comment": col.comment,
            }
            for object_id, obj in pairs
            for col in obj.columns
        ]
        if rows:
            await self.s.execute(insert(columns), rows)

    async def index(self, source_id: int) -> ObjectIndex:
        """(schema, name) -> the stored object, for every object of the source."""
        rows = await self.s.execute(
            select(
                objects.c.schema_name,
                objects.c.name,
                objects.c.id,
                objects.c.urn,
                objects.c.object_type,
            ).where(objects.c.source_id == source_id)
        )
        return {(r[0], r[1]): KnownObject(r[2], r[3], r[4]) for r in rows.all()}

    # ------------------------------------------------------------ lookups, edits
    def _objects_query(self) -> Select[Any]:
        return select(*OBJECT_COLUMNS).join(sources, sources.c.id == objects.c.source_id)

    async def get(self, lookup: ObjectLookup) -> Record | None:
        stmt = self._objects_query()
        if lookup.id is not None:
            stmt = stmt.where(objects.c.id == lookup.id)
        elif lookup.urn is not None:
            stmt = stmt.where(objects.c.urn == lookup.urn)
        else:
            stmt = stmt.where(
                sources.c.name == lookup.source,
                objects.c.schema_name == lookup.schema,
                objects.c.name == lookup.name,
            )
        return await fetch_first(self.s, stmt)

    async def columns(
        self, obj: Mapping[str, Any], offset: int = 0, count: int | None = None
    ) -> list[Record]:
        """The object's columns in order, each with its URN."""
        stmt = (
            select(columns)
            .where(columns.c.object_id == obj["id"])
            .order_by(columns.c.ordinal)
            .offset(offset)
        )
        if count is not None:
            stmt = stmt.limit(count)
        rows = await fetch_all(self.s, stmt)
        return [{**r, "urn": column_urn(obj["urn"], r["name"])} for r in rows]

    async def lock(self, object_id: int) -> None:
        # FOR NO KEY UPDATE: compatible with the KEY SHARE locks that inserts of rows pointing
        # at the object (column meaning, term links) already hold, so no deadlock between them.
        query = select(objects.c.id).where(objects.c.id == object_id)
        await self.s.execute(query.with_for_update(key_share=True))

    async def update(self, object_id: int, values: Mapping[str, Any]) -> None:
        await self.s.execute(
            update(objects).where(objects.c.id == object_id).values(**values, updated_at=func.now())
        )

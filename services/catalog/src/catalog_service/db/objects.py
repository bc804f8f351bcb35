"""SQL of catalog objects and their columns: what a scan writes (in bulk), ranked search with
facets, lookups and user edits. Methods run in the caller's transaction."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

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

TYPO_SIMILARITY = 0.25  # "ordres" ~ "orders" is 0.27 in pg_trgm's measure
FACET_LIMIT = 50
SEARCH_COLUMNS = ("search_text", "search_vector", "name_trigrams")
OBJECT_COLUMNS = [
    *(c for c in objects.c if c.name not in SEARCH_COLUMNS),
    sources.c.name.label("source_name"),
    sources.c.source_type.label("source_type"),
]


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

    # ------------------------------------------------------------ search
    def _objects_query(self) -> Select[Any]:
        return select(*OBJECT_COLUMNS).join(sources, sources.c.id == objects.c.source_id)

    async def has_trigram_index(self) -> bool:
        """pg_trgm installed (indexed typo matching) or the plain-SQL fallback (migration 0003)."""
        return bool(
            await self.s.scalar(
                select(func.count())
                .select_from(text("pg_extension"))
                .where(text("extname = 'pg_trgm'"))
            )
        )

    async def query_trigrams(self, term: str) -> list[str]:
        """The query's trigrams by the database's own rule (its locale decides what a letter
        is), to compare with the stored name trigrams."""
        grams = await self.s.scalar(select(func.catalog.trigrams(term)))
        return list(grams or [])

    async def _match(
        self, *, query: str, source: str, object_type: str, include_deleted: bool
    ) -> tuple[str, bool, list[str], list[Any]]:
        """What a search matches: its term, whether pg_trgm serves typo matching (else the
        stored name trigrams, with the query's `grams`), and the WHERE conditions."""
        term = query.strip().lower()
        trigram = bool(term) and await self.has_trigram_index()
        grams = await self.query_trigrams(term) if term and not trigram else []
        conditions = self._object_filters(
            query=query,
            source=source,
            object_type=object_type,
            include_deleted=include_deleted,
            trigram=trigram,
            grams=grams,
        )
        return term, trigram, grams, conditions

    def _object_filters(
        self,
        *,
        query: str,
        source: str,
        object_type: str,
        include_deleted: bool,
        trigram: bool,
        grams: list[str],
    ) -> list[Any]:
        conditions: list[Any] = []
        if source:
            conditions.append(sources.c.name == source)
        if object_type:
            conditions.append(objects.c.object_type == object_type)
        if not include_deleted:
            conditions.append(objects.c.deleted.is_(False))
        term = query.strip().lower()
        if term:
            name = func.lower(objects.c.name)
            similar: Any
            if trigram:
                similar = name.op("%")(term)  # indexed; threshold set per transaction
            else:
                similar = and_(
                    objects.c.name_trigrams.overlap(grams),  # GIN-indexed candidates
                    _stored_similarity(grams) >= TYPO_SIMILARITY,
                )
            conditions.append(
                or_(
                    objects.c.search_vector.op("@@")(_tsquery(term)),
                    objects.c.search_text.like(f"%{_escape_like(term)}%", escape="\\"),
                    objects.c.tags.op("?")(term),
                    similar,
                )
            )
        return conditions

    async def search(
        self,
        *,
        query: str,
        source: str,
        object_type: str,
        include_deleted: bool,
        offset: int,
        count: int,
    ) -> list[Record]:
        """Ranked search: exact name, then name prefix, then relevance (full-text rank plus
        trigram similarity of the name, so typos still find things), then ref."""
        term, trigram, grams, conditions = await self._match(
            query=query, source=source, object_type=object_type, include_deleted=include_deleted
        )
        if trigram:
            await self.s.execute(
                text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
                {"t": str(TYPO_SIMILARITY)},
            )
        stmt = self._objects_query().where(and_(true(), *conditions))
        order: list[Any] = []
        if term:
            name = func.lower(objects.c.name)
            order.append(
                case(
                    (name == term, 0),
                    (name.like(f"{_escape_like(term)}%", escape="\\"), 1),
                    else_=2,
                )
            )
            similarity = (
                func.catalog.name_similarity(name, term) if trigram else _stored_similarity(grams)
            )
            relevance = func.ts_rank(objects.c.search_vector, _tsquery(term)) + func.coalesce(
                similarity, 0
            )
            order.append(relevance.desc())
            order.append(func.length(objects.c.name))
        stmt = stmt.order_by(*order, objects.c.ref, objects.c.id).offset(offset).limit(count)
        return await fetch_all(self.s, stmt)

    async def facets(
        self, *, query: str, source: str, object_type: str, include_deleted: bool
    ) -> dict[str, list[tuple[str, int]]]:
        """Counts per source, type, schema and tag over everything the search matches."""
        *_, conditions = await self._match(
            query=query, source=source, object_type=object_type, include_deleted=include_deleted
        )
        matched = (
            select(
                sources.c.name.label("source"),
                objects.c.object_type.label("type"),
                objects.c.schema_name.label("schema"),
                objects.c.tags.label("tags"),
            )
            .join(sources, sources.c.id == objects.c.source_id)
            .where(and_(true(), *conditions))
            .cte("matched")
        )
        out: dict[str, list[tuple[str, int]]] = {}
        for facet in ("source", "type", "schema"):
            col = matched.c[facet]
            rows = await self.s.execute(
                select(col, func.count())
                .group_by(col)
                .order_by(func.count().desc(), col)
                .limit(FACET_LIMIT)
            )
            out[facet] = [(str(v), int(n)) for v, n in rows.all()]
        tag = func.jsonb_array_elements_text(matched.c.tags).table_valued("value").alias("t")
        rows = await self.s.execute(
            select(tag.c.value, func.count())
            .select_from(matched)
            .join(tag, text("true"))
            .group_by(tag.c.value)
            .order_by(func.count().desc(), tag.c.value)
            .limit(FACET_LIMIT)
        )
        out["tag"] = [(str(v), int(n)) for v, n in rows.all()]
        return out

    # ------------------------------------------------------------ lookups, edits
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


def _tsquery(term: str) -> Any:
    """Every word of the query as a prefix match ("ord cust" finds orders.customer_id)."""
    words = re.findall(r"\w+", term)
    if not words:
        return func.to_tsquery("simple", "")
    return func.to_tsquery("simple", " & ".join(f"{w}:*" for w in words))


def _stored_similarity(grams: list[str]) -> Any:
    """pg_trgm's similarity (shared / all distinct trigrams) from the stored name trigrams:
    a handful of array containment tests per row, no per-row subquery."""
    if not grams:
        return literal(0.0)
    shared = sum((cast(objects.c.name_trigrams.contains([g]), Integer) for g in grams), literal(0))
    total = func.cardinality(objects.c.name_trigrams) + len(grams) - shared
    return cast(shared, Float) / func.nullif(total, 0)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

"""All SQL of the catalog service. Methods take the caller's session (one transaction)."""

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
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.tables import columns, objects, scan_runs, sources
from catalog_service.domain.models import (
    ExistingObject,
    ReconcilePlan,
    ScannedObject,
    Statistics,
    content_hash,
    schema_hash,
)
from catalog_service.domain.refs import ObjectLookup, column_urn, object_ref, object_urn
from dckit.errors import AlreadyExists, Conflict

Row = RowMapping

STRUCTURE_FIELDS = (
    "schema_hash",
    "partition_strategy",
    "partition_key",
    "partition_expression",
    "storage_format",
)
STATS_FIELDS = ("size_bytes", "row_estimate", "last_analyzed_at")

SCAN_COLUMNS = [*scan_runs.c, sources.c.name.label("source_name")]
TYPO_SIMILARITY = 0.25  # "ordres" ~ "orders" is 0.27 in pg_trgm's measure
FACET_LIMIT = 50
SEARCH_COLUMNS = ("search_text", "search_vector", "name_trigrams")
OBJECT_COLUMNS = [
    *(c for c in objects.c if c.name not in SEARCH_COLUMNS),
    sources.c.name.label("source_name"),
    sources.c.source_type.label("source_type"),
]


class CatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ sources
    async def get_source(self, name: str, *, for_update: bool = False) -> Row | None:
        query = select(sources).where(sources.c.name == name)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def list_sources(self, offset: int, limit: int) -> Sequence[Row]:
        query = select(sources).order_by(sources.c.name).offset(offset).limit(limit)
        return (await self.s.execute(query)).mappings().all()

    async def insert_source(self, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                row = await self.s.execute(insert(sources).values(**values).returning(sources))
                return row.mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"source {values['name']!r} already exists") from exc

    async def update_source(self, source_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(sources)
            .where(sources.c.id == source_id)
            .values(**values, updated_at=func.now())
            .returning(sources)
        )
        return (await self.s.execute(query)).mappings().one()

    async def delete_source(self, source_id: int) -> int:
        count = await self.s.scalar(
            select(func.count()).select_from(objects).where(objects.c.source_id == source_id)
        )
        await self.s.execute(delete(sources).where(sources.c.id == source_id))
        return int(count or 0)

    async def last_scans(self, source_ids: Sequence[int]) -> dict[int, Row]:
        if not source_ids:
            return {}
        query = (
            select(*SCAN_COLUMNS)
            .join(sources, sources.c.id == scan_runs.c.source_id)
            .where(scan_runs.c.source_id.in_(source_ids))
            .distinct(scan_runs.c.source_id)
            .order_by(scan_runs.c.source_id, scan_runs.c.started_at.desc(), scan_runs.c.id.desc())
        )
        return {r["source_id"]: r for r in (await self.s.execute(query)).mappings().all()}

    # ------------------------------------------------------------ scans
    async def insert_scan(
        self, source_id: int, source_name: str, triggered_by: str, worker: str
    ) -> Row:
        try:
            async with self.s.begin_nested():
                scan_id = await self.s.scalar(
                    insert(scan_runs)
                    .values(
                        source_id=source_id,
                        status="running",
                        triggered_by=triggered_by,
                        worker=worker,
                    )
                    .returning(scan_runs.c.id)
                )
        except IntegrityError as exc:
            raise Conflict(f"a scan of source {source_name!r} is already running") from exc
        row = await self.get_scan(int(scan_id or 0))
        assert row is not None
        return row

    async def finish_scan(self, scan_id: int, values: dict[str, Any]) -> Row | None:
        """None when the run is gone (its source was deleted while it ran)."""
        await self.s.execute(
            update(scan_runs)
            .where(scan_runs.c.id == scan_id)
            .values(
                **values,
                finished_at=func.now(),
                duration_ms=func.floor(
                    func.extract("epoch", func.now() - scan_runs.c.started_at) * 1000
                ),
            )
        )
        return await self.get_scan(scan_id)

    async def get_scan(self, scan_id: int) -> Row | None:
        query = (
            select(*SCAN_COLUMNS)
            .join(sources, sources.c.id == scan_runs.c.source_id)
            .where(scan_runs.c.id == scan_id)
        )
        return (await self.s.execute(query)).mappings().first()

    async def list_scans(self, source_id: int, offset: int, limit: int) -> Sequence[Row]:
        query = (
            select(*SCAN_COLUMNS)
            .join(sources, sources.c.id == scan_runs.c.source_id)
            .where(scan_runs.c.source_id == source_id)
            .order_by(scan_runs.c.started_at.desc(), scan_runs.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return (await self.s.execute(query)).mappings().all()

    async def scan_progress(self, scan_id: int, done: int, total: int) -> None:
        await self.s.execute(
            update(scan_runs)
            .where(scan_runs.c.id == scan_id, scan_runs.c.status == "running")
            .values(objects_done=done, objects_total=total)
        )

    async def cancel_requested(self, scan_id: int) -> bool:
        return bool(
            await self.s.scalar(
                select(scan_runs.c.cancel_requested).where(scan_runs.c.id == scan_id)
            )
        )

    async def request_cancel(self, scan_id: int) -> None:
        await self.s.execute(
            update(scan_runs)
            .where(scan_runs.c.id == scan_id, scan_runs.c.status == "running")
            .values(cancel_requested=True)
        )

    async def renew_leases(self, scan_ids: Sequence[int]) -> None:
        """The process running these scans is alive: push their leases forward."""
        if scan_ids:
            await self.s.execute(
                update(scan_runs)
                .where(scan_runs.c.id.in_(scan_ids), scan_runs.c.status == "running")
                .values(heartbeat_at=func.now())
            )

    async def fail_stale_scans(self, stale_seconds: float, reason: str) -> list[Row]:
        """Fail running scans whose lease is older than `stale_seconds` (database clock, so
        replicas agree); returns the failed runs with their source's type."""
        cutoff = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, stale_seconds)
        return await self._fail_scans(scan_runs.c.heartbeat_at < cutoff, reason)

    async def fail_scans(self, scan_ids: Sequence[int], reason: str) -> list[Row]:
        if not scan_ids:
            return []
        return await self._fail_scans(scan_runs.c.id.in_(scan_ids), reason)

    async def _fail_scans(self, condition: Any, reason: str) -> list[Row]:
        result = await self.s.execute(
            update(scan_runs)
            .where(scan_runs.c.status == "running", condition)
            .values(
                status="failed",
                error=reason,
                finished_at=func.now(),
                duration_ms=func.floor(
                    func.extract("epoch", func.now() - scan_runs.c.started_at) * 1000
                ),
            )
            .returning(scan_runs.c.id)
        )
        ids = result.scalars().all()
        if not ids:
            return []
        query = (
            select(*SCAN_COLUMNS, sources.c.source_type.label("source_type"))
            .join(sources, sources.c.id == scan_runs.c.source_id)
            .where(scan_runs.c.id.in_(ids))
            .order_by(scan_runs.c.id)
        )
        return list((await self.s.execute(query)).mappings().all())

    # ------------------------------------------------------------ objects
    async def existing_objects(self, source_id: int) -> dict[tuple[str, str], ExistingObject]:
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

    async def list_objects(
        self,
        *,
        query: str,
        source: str,
        object_type: str,
        include_deleted: bool,
        offset: int,
        limit: int,
    ) -> Sequence[Row]:
        """Ranked search: exact name, then name prefix, then relevance (full-text rank plus
        trigram similarity of the name, so typos still find things), then ref."""
        term = query.strip().lower()
        trigram = bool(term) and await self.has_trigram_index()
        grams = await self.query_trigrams(term) if term and not trigram else []
        if trigram:
            await self.s.execute(
                text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
                {"t": str(TYPO_SIMILARITY)},
            )
        conditions = self._object_filters(
            query=query,
            source=source,
            object_type=object_type,
            include_deleted=include_deleted,
            trigram=trigram,
            grams=grams,
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
        stmt = stmt.order_by(*order, objects.c.ref, objects.c.id).offset(offset).limit(limit)
        return (await self.s.execute(stmt)).mappings().all()

    async def object_facets(
        self, *, query: str, source: str, object_type: str, include_deleted: bool
    ) -> dict[str, list[tuple[str, int]]]:
        """Counts per source, type, schema and tag over everything the search matches."""
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

    async def get_object(self, lookup: ObjectLookup) -> Row | None:
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
        return (await self.s.execute(stmt)).mappings().first()

    async def get_columns(
        self, object_row: Row, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        stmt = (
            select(columns)
            .where(columns.c.object_id == object_row["id"])
            .order_by(columns.c.ordinal)
            .offset(offset)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = (await self.s.execute(stmt)).mappings().all()
        return [{**r, "urn": column_urn(object_row["urn"], r["name"])} for r in rows]

    async def update_object(self, object_id: int, values: dict[str, Any]) -> None:
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

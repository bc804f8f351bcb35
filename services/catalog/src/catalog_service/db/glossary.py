"""SQL of the business glossary: terms (ranked full-text search), their relations and workflow
history, and term links from capsules and columns. Methods run in the caller's transaction."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.semantics_tables import (
    business_term_history,
    business_term_relations,
    business_terms,
    term_links,
)
from catalog_service.db.tables import objects
from dckit.db import fetch_all, fetch_first
from dckit.errors import AlreadyExists

Record = dict[str, Any]

_TERM_COLUMNS = [c for c in business_terms.c if c.name != "search_vector"]
_LINK_COLUMNS = [
    *term_links.c,
    business_terms.c.name.label("term_name"),
    business_terms.c.status.label("term_status"),
    objects.c.urn.label("object_urn"),
    objects.c.ref.label("object_ref"),
]


def _link_count() -> Any:
    return (
        select(func.count())
        .select_from(term_links)
        .where(term_links.c.term_id == business_terms.c.id)
        .scalar_subquery()
        .label("link_count")
    )


def _terms() -> Select[Any]:
    return select(*_TERM_COLUMNS, _link_count())


def _links() -> Select[Any]:
    return (
        select(*_LINK_COLUMNS)
        .join(business_terms, business_terms.c.id == term_links.c.term_id)
        .join(objects, objects.c.id == term_links.c.object_id)
    )


def _tsquery(text: str) -> Any:
    """Every word as a stemmed prefix ("custom lifetim" finds Customer Lifetime Value)."""
    words = re.findall(r"\w+", text)
    return func.to_tsquery("english", " & ".join(f"{w}:*" for w in words) if words else "")


class GlossaryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ terms
    async def get(
        self, *, term_id: int | None = None, name: str = "", for_update: bool = False
    ) -> Record | None:
        query = _terms()
        if term_id is not None:
            query = query.where(business_terms.c.id == term_id)
        else:
            query = query.where(func.lower(business_terms.c.name) == name.lower())
        if for_update:
            query = query.with_for_update(of=business_terms)
        return await fetch_first(self.s, query)

    async def ids_by_name(self, names: Sequence[str]) -> dict[str, Record]:
        """lower-case name → {id, name, status} of the terms named (case-insensitive)."""
        if not names:
            return {}
        rows = await fetch_all(
            self.s,
            select(business_terms.c.id, business_terms.c.name, business_terms.c.status).where(
                func.lower(business_terms.c.name).in_([n.lower() for n in names])
            ),
        )
        return {r["name"].lower(): r for r in rows}

    async def search(
        self, *, query: str, status: str, category: str, domain: str, offset: int, count: int
    ) -> list[Record]:
        """Terms matching the filters; with a query, best match first (name and synonyms weigh
        more than the definition), else by name."""
        stmt = _terms()
        conditions = []
        if status:
            conditions.append(business_terms.c.status == status)
        if category:
            conditions.append(func.lower(business_terms.c.category) == category.lower())
        if domain:
            conditions.append(func.lower(business_terms.c.domain) == domain.lower())
        order: list[Any] = []
        if query.strip():
            tsq = _tsquery(query)
            conditions.append(business_terms.c.search_vector.op("@@")(tsq))
            exact = func.lower(business_terms.c.name) == query.strip().lower()
            order = [exact.desc(), func.ts_rank(business_terms.c.search_vector, tsq).desc()]
        if conditions:
            stmt = stmt.where(and_(*conditions))
        stmt = stmt.order_by(*order, func.lower(business_terms.c.name), business_terms.c.id)
        return await fetch_all(self.s, stmt.offset(offset).limit(count))

    async def all(self) -> list[Record]:
        return await fetch_all(self.s, _terms().order_by(func.lower(business_terms.c.name)))

    async def many(self, term_ids: Sequence[int]) -> dict[int, Record]:
        if not term_ids:
            return {}
        rows = await fetch_all(self.s, _terms().where(business_terms.c.id.in_(list(term_ids))))
        return {r["id"]: r for r in rows}

    async def insert(self, values: Mapping[str, Any]) -> int:
        try:
            async with self.s.begin_nested():
                new_id = await self.s.scalar(
                    insert(business_terms).values(**values).returning(business_terms.c.id)
                )
        except IntegrityError as exc:
            raise AlreadyExists(f"a term named {values.get('name')!r} already exists") from exc
        return int(new_id or 0)

    async def update(self, term_id: int, values: Mapping[str, Any]) -> None:
        try:
            async with self.s.begin_nested():
                await self.s.execute(
                    update(business_terms)
                    .where(business_terms.c.id == term_id)
                    .values(**values, updated_at=func.now())
                )
        except IntegrityError as exc:
            raise AlreadyExists(f"a term named {values.get('name')!r} already exists") from exc

    async def delete(self, term_id: int) -> None:
        await self.s.execute(delete(business_terms).where(business_terms.c.id == term_id))

    # ------------------------------------------------------------ relations, history
    async def lock_relations(self) -> None:
        await self.s.execute(
            select(func.pg_advisory_xact_lock(func.hashtext("catalog.business_term_relations")))
        )

    async def relations(self, term_ids: Sequence[int]) -> dict[int, list[Record]]:
        """term id → its relations [{relation, term_id, term}], by relation and name."""
        other = business_terms.alias("other")
        rows = await fetch_all(
            self.s,
            select(
                business_term_relations.c.term_id.label("owner_id"),
                business_term_relations.c.relation,
                other.c.id.label("term_id"),
                other.c.name.label("term"),
            )
            .join(other, other.c.id == business_term_relations.c.related_id)
            .where(business_term_relations.c.term_id.in_(list(term_ids)))
            .order_by(business_term_relations.c.relation, func.lower(other.c.name)),
        )
        out: dict[int, list[Record]] = {}
        for row in rows:
            owner = row.pop("owner_id")
            out.setdefault(owner, []).append(row)
        return out

    async def all_relations(self) -> list[tuple[int, str, int]]:
        rows = await self.s.execute(
            select(
                business_term_relations.c.term_id,
                business_term_relations.c.relation,
                business_term_relations.c.related_id,
            )
        )
        return [(int(a), str(r), int(b)) for a, r, b in rows.all()]

    async def names(self) -> dict[int, str]:
        rows = await self.s.execute(select(business_terms.c.id, business_terms.c.name))
        return {int(i): str(n) for i, n in rows.all()}

    async def set_relations(self, term_id: int, pairs: Sequence[tuple[str, int]]) -> None:
        await self.s.execute(
            delete(business_term_relations).where(business_term_relations.c.term_id == term_id)
        )
        if pairs:
            await self.s.execute(
                insert(business_term_relations),
                [{"term_id": term_id, "relation": r, "related_id": other} for r, other in pairs],
            )

    async def history(self, term_id: int) -> list[Record]:
        return await fetch_all(
            self.s,
            select(business_term_history)
            .where(business_term_history.c.term_id == term_id)
            .order_by(business_term_history.c.id),
        )

    async def add_history(
        self, term_id: int, *, from_status: str | None, to_status: str, actor: str, comment: str
    ) -> None:
        await self.s.execute(
            insert(business_term_history).values(
                term_id=term_id,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
                comment=comment,
            )
        )

    # ------------------------------------------------------------ links
    async def links(
        self,
        *,
        object_id: int | None,
        column: str | None,
        term_id: int | None,
        offset: int,
        count: int | None,
    ) -> list[Record]:
        query = _links()
        if object_id is not None:
            query = query.where(term_links.c.object_id == object_id)
        if column is not None:
            query = query.where(term_links.c.column_name == column)
        if term_id is not None:
            query = query.where(term_links.c.term_id == term_id)
        query = query.order_by(
            objects.c.ref, term_links.c.column_name, func.lower(business_terms.c.name)
        ).offset(offset)
        if count is not None:
            query = query.limit(count)
        return await fetch_all(self.s, query)

    async def link(self, object_id: int, column: str, term_id: int) -> Record | None:
        return await fetch_first(
            self.s,
            _links().where(
                term_links.c.object_id == object_id,
                term_links.c.column_name == column,
                term_links.c.term_id == term_id,
            ),
        )

    async def upsert_link(self, values: Mapping[str, Any]) -> Record:
        stmt = pg_insert(term_links).values(**values)
        await self.s.execute(
            stmt.on_conflict_do_update(
                constraint="uq_term_links",
                set_={
                    "link_type": stmt.excluded.link_type,
                    "created_by": stmt.excluded.created_by,
                    "created_at": func.now(),
                },
            )
        )
        row = await self.link(values["object_id"], values["column_name"], values["term_id"])
        assert row is not None
        return row

    async def delete_link(self, link_id: int) -> None:
        await self.s.execute(delete(term_links).where(term_links.c.id == link_id))

    async def delete_links_of(self, term_id: int) -> int:
        result = await self.s.execute(
            delete(term_links).where(term_links.c.term_id == term_id).returning(literal(1))
        )
        return len(result.all())

"""SQL of column meaning and value domains. Methods run in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.semantics_tables import column_semantics, value_domains
from catalog_service.db.tables import objects
from dckit.db import fetch_all, fetch_first
from dckit.errors import AlreadyExists

Record = dict[str, Any]


def _domains() -> Select[Any]:
    users = (
        select(func.count())
        .select_from(column_semantics)
        .where(column_semantics.c.value_domain_id == value_domains.c.id)
        .scalar_subquery()
        .label("column_count")
    )
    return select(*value_domains.c, users)


class SemanticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ column meaning
    async def column_rows(self, object_id: int) -> dict[str, Record]:
        rows = await fetch_all(
            self.s,
            select(column_semantics, value_domains.c.name.label("value_domain"))
            .outerjoin(value_domains, value_domains.c.id == column_semantics.c.value_domain_id)
            .where(column_semantics.c.object_id == object_id),
        )
        return {r["column_name"]: r for r in rows}

    async def upsert_column(self, object_id: int, column: str, values: Mapping[str, Any]) -> None:
        stmt = pg_insert(column_semantics).values(object_id=object_id, column_name=column, **values)
        await self.s.execute(
            stmt.on_conflict_do_update(
                index_elements=[column_semantics.c.object_id, column_semantics.c.column_name],
                set_={**values, "updated_at": func.now()},
            )
        )

    # ------------------------------------------------------------ value domains
    async def get_domain(
        self, *, domain_id: int | None = None, name: str = "", for_update: bool = False
    ) -> Record | None:
        query = _domains()
        if domain_id is not None:
            query = query.where(value_domains.c.id == domain_id)
        else:
            query = query.where(func.lower(value_domains.c.name) == name.strip().lower())
        if for_update:
            query = query.with_for_update(of=value_domains)
        return await fetch_first(self.s, query)

    async def domains_by_id(self, ids: Sequence[int]) -> dict[int, Record]:
        if not ids:
            return {}
        rows = await fetch_all(self.s, _domains().where(value_domains.c.id.in_(list(ids))))
        return {r["id"]: r for r in rows}

    async def domains(self, domain_type: str, offset: int, count: int) -> list[Record]:
        query = _domains()
        if domain_type:
            query = query.where(value_domains.c.domain_type == domain_type)
        query = query.order_by(func.lower(value_domains.c.name)).offset(offset).limit(count)
        return await fetch_all(self.s, query)

    async def insert_domain(self, values: Mapping[str, Any]) -> Record:
        try:
            async with self.s.begin_nested():
                new_id = await self.s.scalar(
                    insert(value_domains).values(**values).returning(value_domains.c.id)
                )
        except IntegrityError as exc:
            raise AlreadyExists(
                f"a value domain named {values.get('name')!r} already exists"
            ) from exc
        row = await self.get_domain(domain_id=int(new_id or 0))
        assert row is not None
        return row

    async def update_domain(self, domain_id: int, values: Mapping[str, Any]) -> Record:
        try:
            async with self.s.begin_nested():
                await self.s.execute(
                    update(value_domains)
                    .where(value_domains.c.id == domain_id)
                    .values(**values, updated_at=func.now())
                )
        except IntegrityError as exc:
            raise AlreadyExists(
                f"a value domain named {values.get('name')!r} already exists"
            ) from exc
        row = await self.get_domain(domain_id=domain_id)
        assert row is not None
        return row

    async def delete_domain(self, domain_id: int) -> None:
        await self.s.execute(value_domains.delete().where(value_domains.c.id == domain_id))

    async def domain_users(self, domain_id: int, count: int) -> list[Record]:
        return await fetch_all(
            self.s,
            select(objects.c.ref.label("object_ref"), column_semantics.c.column_name)
            .join(objects, objects.c.id == column_semantics.c.object_id)
            .where(column_semantics.c.value_domain_id == domain_id)
            .order_by(objects.c.ref, column_semantics.c.column_name)
            .limit(count),
        )

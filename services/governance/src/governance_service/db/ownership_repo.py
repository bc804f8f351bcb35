"""SQL of ownership assignments and domains. Methods take the caller's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.errors import AlreadyExists
from governance_service.db.tables import domains, object_domains, object_owners

Row = RowMapping


class OwnershipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ owners
    async def owners(self, urn: str) -> list[Row]:
        query = (
            select(object_owners)
            .where(object_owners.c.object_urn == urn)
            .order_by(object_owners.c.role, object_owners.c.user_id)
        )
        return list((await self.s.execute(query)).mappings())

    async def insert_owner(self, values: dict[str, Any]) -> Row | None:
        """None when the user already has that role on the object."""
        query = (
            pg_insert(object_owners)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_object_owners_assignment")
            .returning(object_owners)
        )
        return (await self.s.execute(query)).mappings().first()

    async def delete_owners(self, urn: str, user: str, role: str) -> list[Row]:
        query = delete(object_owners).where(
            object_owners.c.object_urn == urn, object_owners.c.user_id == user
        )
        if role:
            query = query.where(object_owners.c.role == role)
        return list((await self.s.execute(query.returning(object_owners))).mappings())

    async def owned_by(self, users: list[str], role: str, offset: int, limit: int) -> list[Row]:
        query = select(object_owners).where(object_owners.c.user_id.in_(users))
        if role:
            query = query.where(object_owners.c.role == role)
        query = query.order_by(object_owners.c.object_ref, object_owners.c.role, object_owners.c.id)
        return list((await self.s.execute(query.offset(offset).limit(limit + 1))).mappings())

    async def roles_of(self, urn: str, users: list[str]) -> set[str]:
        query = select(object_owners.c.role).where(
            object_owners.c.object_urn == urn, object_owners.c.user_id.in_(users)
        )
        return set((await self.s.execute(query)).scalars())

    # ------------------------------------------------------------ domains
    async def domains(self) -> list[Row]:
        counts = (
            select(object_domains.c.domain_id, func.count().label("object_count"))
            .group_by(object_domains.c.domain_id)
            .subquery()
        )
        query = (
            select(domains, func.coalesce(counts.c.object_count, 0).label("object_count"))
            .outerjoin(counts, counts.c.domain_id == domains.c.id)
            .order_by(domains.c.name)
        )
        return list((await self.s.execute(query)).mappings())

    async def domain(self, key: str, *, for_update: bool = False) -> Row | None:
        """By id (all digits) or by name."""
        column = domains.c.id if key.isdigit() else domains.c.name
        value: Any = int(key) if key.isdigit() else key
        query = select(domains).where(column == value)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def insert_domain(self, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                query = insert(domains).values(**values).returning(domains)
                return (await self.s.execute(query)).mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"a domain named {values['name']!r} already exists") from exc

    async def update_domain(self, domain_id: int, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                query = (
                    update(domains)
                    .where(domains.c.id == domain_id)
                    .values(**values, updated_at=func.now())
                    .returning(domains)
                )
                return (await self.s.execute(query)).mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"a domain named {values.get('name')!r} already exists") from exc

    async def delete_domain(self, domain_id: int) -> None:
        await self.s.execute(delete(domains).where(domains.c.id == domain_id))

    async def lock_domains(self) -> None:
        """Serializes hierarchy changes, so two concurrent re-parentings cannot close a cycle
        that neither sees."""
        await self.s.execute(select(domains.c.id).with_for_update())

    async def children(self, domain_id: int) -> list[str]:
        query = select(domains.c.name).where(domains.c.parent_id == domain_id)
        return list((await self.s.execute(query.order_by(domains.c.name))).scalars())

    async def object_count(self, domain_id: int) -> int:
        query = select(func.count()).where(object_domains.c.domain_id == domain_id)
        return int((await self.s.execute(query)).scalar_one())

    async def domain_of(self, urn: str) -> Row | None:
        query = select(object_domains).where(object_domains.c.object_urn == urn)
        return (await self.s.execute(query.with_for_update())).mappings().first()

    async def put_object(self, values: dict[str, Any]) -> Row:
        stamped = {**values, "assigned_at": func.now()}
        base = pg_insert(object_domains).values(**stamped)
        query = base.on_conflict_do_update(
            index_elements=[object_domains.c.object_urn],
            set_={k: base.excluded[k] for k in stamped if k != "object_urn"},
        ).returning(object_domains)
        return (await self.s.execute(query)).mappings().one()

    async def objects_in(self, domain_id: int, offset: int, limit: int) -> list[Row]:
        query = (
            select(object_domains)
            .where(object_domains.c.domain_id == domain_id)
            .order_by(object_domains.c.object_ref)
            .offset(offset)
            .limit(limit + 1)
        )
        return list((await self.s.execute(query)).mappings())

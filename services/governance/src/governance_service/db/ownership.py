"""SQL of ownership assignments and domains. Methods take the unit of work's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record, row_values
from dckit.errors import AlreadyExists
from dckit.ids import as_id, is_digits
from governance_service.db.tables import domains, object_domains, object_owners
from governance_service.domain.ownership import Domain, DomainObject, Ownership


def _ownership(row: RowMapping) -> Ownership:
    return record(Ownership, row, user=row["user_id"])


def _domain(row: RowMapping | None) -> Domain | None:
    return record(Domain, row) if row is not None else None


class OwnershipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ owners
    async def owners(self, urn: str) -> list[Ownership]:
        query = (
            select(object_owners)
            .where(object_owners.c.object_urn == urn)
            .order_by(object_owners.c.role, object_owners.c.user_id)
        )
        return [_ownership(r) for r in (await self.s.execute(query)).mappings()]

    async def insert_owner(self, assignment: Ownership) -> Ownership | None:
        """None when the user already has that role on the object."""
        values = row_values(
            object_owners, assignment, skip={"assigned_at"}, user_id=assignment.user
        )
        query = (
            pg_insert(object_owners)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_object_owners_assignment")
            .returning(object_owners)
        )
        row = (await self.s.execute(query)).mappings().first()
        return _ownership(row) if row is not None else None

    async def delete_owners(self, urn: str, *, user: str, role: str) -> list[Ownership]:
        query = delete(object_owners).where(
            object_owners.c.object_urn == urn, object_owners.c.user_id == user
        )
        if role:
            query = query.where(object_owners.c.role == role)
        rows = (await self.s.execute(query.returning(object_owners))).mappings()
        return [_ownership(r) for r in rows]

    async def owned_by(
        self, users: list[str], role: str, offset: int, count: int
    ) -> list[Ownership]:
        query = select(object_owners).where(object_owners.c.user_id.in_(users))
        if role:
            query = query.where(object_owners.c.role == role)
        query = query.order_by(object_owners.c.object_ref, object_owners.c.role, object_owners.c.id)
        rows = (await self.s.execute(query.offset(offset).limit(count))).mappings()
        return [_ownership(r) for r in rows]

    async def roles_of(self, urn: str, users: list[str]) -> set[str]:
        query = select(object_owners.c.role).where(
            object_owners.c.object_urn == urn, object_owners.c.user_id.in_(users)
        )
        return set((await self.s.execute(query)).scalars())

    # ------------------------------------------------------------ domains
    async def domains(self) -> list[Domain]:
        """Every domain with its object count, by name."""
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
        return [record(Domain, r) for r in (await self.s.execute(query)).mappings()]

    async def domain(self, key: str) -> Domain | None:
        """By id (all digits) or by name."""
        if is_digits(key) and as_id(key) is None:
            return None  # an id beyond int64: no such domain
        column = domains.c.id if is_digits(key) else domains.c.name
        value: Any = as_id(key) if is_digits(key) else key
        return _domain(
            (await self.s.execute(select(domains).where(column == value))).mappings().first()
        )

    async def insert_domain(self, domain: Domain) -> Domain:
        values = row_values(domains, domain, skip={"id", "created_at", "updated_at"})
        return await self._write_domain(insert(domains).values(**values), domain.name)

    async def update_domain(self, domain_id: int, values: dict[str, Any]) -> Domain:
        """`values`: some of name, description, parent_id."""
        query = update(domains).where(domains.c.id == domain_id)
        return await self._write_domain(
            query.values(**values, updated_at=func.now()), values.get("name")
        )

    async def _write_domain(self, query: Any, name: str | None) -> Domain:
        try:
            async with self.s.begin_nested():
                row = (await self.s.execute(query.returning(domains))).mappings().one()
                return record(Domain, row)
        except IntegrityError as exc:
            raise AlreadyExists(f"a domain named {name!r} already exists") from exc

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

    async def placement(self, urn: str) -> DomainObject | None:
        """The object's domain assignment (locked: the caller may move it)."""
        query = select(object_domains).where(object_domains.c.object_urn == urn)
        row = (await self.s.execute(query.with_for_update())).mappings().first()
        return record(DomainObject, row) if row is not None else None

    async def place(self, placed: DomainObject) -> DomainObject:
        """Puts the object in its domain (moving it from any other), stamped now."""
        values = row_values(object_domains, placed, assigned_at=func.now())
        base = pg_insert(object_domains).values(**values)
        query = base.on_conflict_do_update(
            index_elements=[object_domains.c.object_urn],
            set_={k: base.excluded[k] for k in values if k != "object_urn"},
        ).returning(object_domains)
        row = (await self.s.execute(query)).mappings().one()
        return record(DomainObject, row, domain=placed.domain)

    async def objects_in(self, domain_id: int, offset: int, count: int) -> list[DomainObject]:
        query = (
            select(object_domains)
            .where(object_domains.c.domain_id == domain_id)
            .order_by(object_domains.c.object_ref)
            .offset(offset)
            .limit(count)
        )
        return [record(DomainObject, r) for r in (await self.s.execute(query)).mappings()]

"""All SQL of the governance service. Methods take the caller's session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.errors import AlreadyExists
from governance_service.db.tables import api_keys, audit_events, users

Row = RowMapping

# PostgreSQL's name for `UniqueConstraint('prefix')` of migration 0001.
PREFIX_CONSTRAINT = "api_keys_prefix_key"


class PrefixTaken(Exception):
    """A new API key's random lookup prefix is already used by another key."""


def _constraint(exc: IntegrityError) -> str:
    """The constraint an IntegrityError violated (asyncpg's error is the DBAPI error's cause)."""
    for error in (exc.orig, getattr(exc.orig, "__cause__", None)):
        name = getattr(error, "constraint_name", None)
        if name:
            return str(name)
    return ""


KEY_COLUMNS = [*api_keys.c, users.c.username.label("username")]


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str = ""
    entity: str = ""  # id or URN
    user: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None


class GovernanceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ users
    async def get_user(self, username: str, *, for_update: bool = False) -> Row | None:
        query = select(users).where(users.c.username == username)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def insert_user(self, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                row = await self.s.execute(insert(users).values(**values).returning(users))
                return row.mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"user {values['username']!r} already exists") from exc

    async def update_user(self, user_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(users)
            .where(users.c.id == user_id)
            .values(**values, updated_at=func.now())
            .returning(users)
        )
        return (await self.s.execute(query)).mappings().one()

    async def touch_login(self, user_id: int) -> Row:
        query = (
            update(users)
            .where(users.c.id == user_id)
            .values(last_login_at=func.now())
            .returning(users)
        )
        return (await self.s.execute(query)).mappings().one()

    async def list_users(self, offset: int, limit: int) -> Sequence[Row]:
        query = select(users).order_by(users.c.username).offset(offset).limit(limit)
        return (await self.s.execute(query)).mappings().all()

    # ------------------------------------------------------------ API keys
    async def insert_api_key(self, values: dict[str, Any]) -> Row:
        """Insert a key; `PrefixTaken` (the transaction stays usable: the insert runs in a
        savepoint) when another key already has its lookup prefix."""
        try:
            async with self.s.begin_nested():
                key_id = await self.s.scalar(
                    insert(api_keys).values(**values).returning(api_keys.c.id)
                )
        except IntegrityError as exc:
            if _constraint(exc) == PREFIX_CONSTRAINT:
                raise PrefixTaken(values["prefix"]) from exc
            raise
        return await self.get_api_key(int(key_id or 0))  # type: ignore[return-value]

    async def get_api_key(self, key_id: int) -> Row | None:
        query = select(*KEY_COLUMNS).join(users).where(api_keys.c.id == key_id)
        return (await self.s.execute(query)).mappings().first()

    async def api_key_by_prefix(self, prefix: str) -> Row | None:
        query = (
            select(*KEY_COLUMNS, users.c.role, users.c.disabled)
            .join(users)
            .where(api_keys.c.prefix == prefix)
        )
        return (await self.s.execute(query)).mappings().first()

    async def list_api_keys(self, username: str, offset: int, limit: int) -> Sequence[Row]:
        query = select(*KEY_COLUMNS).join(users)
        if username:
            query = query.where(users.c.username == username)
        query = query.order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
        return (await self.s.execute(query.offset(offset).limit(limit))).mappings().all()

    async def revoke_api_key(self, key_id: int) -> None:
        await self.s.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=func.now())
        )

    async def touch_api_key(self, key_id: int) -> None:
        await self.s.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=func.now())
        )

    # ------------------------------------------------------------ audit trail
    async def insert_audit_event(self, values: dict[str, Any]) -> bool:
        """Insert once: a record seen before (same event id) is ignored. True if inserted."""
        query = (
            pg_insert(audit_events)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[audit_events.c.event_id])
            .returning(audit_events.c.id)
        )
        return (await self.s.execute(query)).first() is not None

    async def list_audit_events(self, where: AuditFilter, offset: int, limit: int) -> Sequence[Row]:
        t = audit_events
        query = select(t)
        if where.entity_type:
            query = query.where(t.c.entity_type == where.entity_type)
        if where.entity:
            query = query.where(or_(t.c.entity_id == where.entity, t.c.entity_urn == where.entity))
        if where.user:
            query = query.where(t.c.user_id == where.user)
        if where.action:
            query = query.where(t.c.action == where.action)
        if where.since is not None:
            query = query.where(t.c.timestamp >= where.since)
        if where.until is not None:
            query = query.where(t.c.timestamp < where.until)
        query = query.order_by(t.c.timestamp.desc(), t.c.id.desc()).offset(offset).limit(limit)
        return (await self.s.execute(query)).mappings().all()

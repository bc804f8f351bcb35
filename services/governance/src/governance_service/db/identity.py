"""SQL of users and API keys. Methods take the unit of work's session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import record
from dckit.errors import AlreadyExists
from governance_service.db.tables import api_keys, users
from governance_service.domain.identity import ApiKey, KeyHolder, NewApiKey, PrefixTaken, User

# PostgreSQL's name for `UniqueConstraint('prefix')` of migration 0001.
PREFIX_CONSTRAINT = "api_keys_prefix_key"
KEY_COLUMNS = [*api_keys.c, users.c.username.label("username")]


def _constraint(exc: IntegrityError) -> str:
    """The constraint an IntegrityError violated (asyncpg's error is the DBAPI error's cause)."""
    for error in (exc.orig, getattr(exc.orig, "__cause__", None)):
        name = getattr(error, "constraint_name", None)
        if name:
            return str(name)
    return ""


def _user(row: RowMapping | None) -> User | None:
    return record(User, row) if row is not None else None


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ users
    async def user(self, username: str, *, for_update: bool = False) -> User | None:
        query = select(users).where(users.c.username == username)
        if for_update:
            query = query.with_for_update()
        return _user((await self.s.execute(query)).mappings().first())

    async def insert_user(self, values: dict[str, Any]) -> User:
        try:
            async with self.s.begin_nested():
                row = await self.s.execute(insert(users).values(**values).returning(users))
                return record(User, row.mappings().one())
        except IntegrityError as exc:
            raise AlreadyExists(f"user {values['username']!r} already exists") from exc

    async def update_user(self, user_id: int, values: dict[str, Any]) -> User:
        return await self._set(user_id, {**values, "updated_at": func.now()})

    async def touch_login(self, user_id: int) -> User:
        return await self._set(user_id, {"last_login_at": func.now()})

    async def _set(self, user_id: int, values: dict[str, Any]) -> User:
        query = update(users).where(users.c.id == user_id).values(**values).returning(users)
        return record(User, (await self.s.execute(query)).mappings().one())

    async def users(self, offset: int, count: int) -> list[User]:
        query = select(users).order_by(users.c.username).offset(offset).limit(count)
        return [record(User, r) for r in (await self.s.execute(query)).mappings()]

    # ------------------------------------------------------------ API keys
    async def insert_api_key(
        self, owner: User, name: str, key: NewApiKey, expires_at: datetime | None
    ) -> ApiKey:
        """Insert a key; `PrefixTaken` (the transaction stays usable: the insert runs in a
        savepoint) when another key already has its lookup prefix."""
        values = {
            "user_id": owner.id,
            "name": name,
            "prefix": key.prefix,
            "key_hash": key.digest,
            "expires_at": expires_at,
        }
        try:
            async with self.s.begin_nested():
                key_id = await self.s.scalar(
                    insert(api_keys).values(**values).returning(api_keys.c.id)
                )
        except IntegrityError as exc:
            if _constraint(exc) == PREFIX_CONSTRAINT:
                raise PrefixTaken(values["prefix"]) from exc
            raise
        created = await self.api_key(int(key_id or 0))
        assert created is not None
        return created

    async def api_key(self, key_id: int) -> ApiKey | None:
        query = select(*KEY_COLUMNS).join(users).where(api_keys.c.id == key_id)
        row = (await self.s.execute(query)).mappings().first()
        return record(ApiKey, row) if row is not None else None

    async def key_holder(self, prefix: str) -> KeyHolder | None:
        query = (
            select(*KEY_COLUMNS, users.c.role, users.c.disabled)
            .join(users)
            .where(api_keys.c.prefix == prefix)
        )
        row = (await self.s.execute(query)).mappings().first()
        if row is None:
            return None
        return KeyHolder(record(ApiKey, row), row["key_hash"], row["role"], row["disabled"])

    async def api_keys(self, username: str, offset: int, count: int) -> list[ApiKey]:
        query = select(*KEY_COLUMNS).join(users)
        if username:
            query = query.where(users.c.username == username)
        query = query.order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
        rows = (await self.s.execute(query.offset(offset).limit(count))).mappings()
        return [record(ApiKey, r) for r in rows]

    async def revoke_api_key(self, key_id: int) -> ApiKey:
        await self.s.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=func.now())
        )
        key = await self.api_key(key_id)
        assert key is not None
        return key

    async def touch_api_key(self, key_id: int) -> None:
        await self.s.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=func.now())
        )

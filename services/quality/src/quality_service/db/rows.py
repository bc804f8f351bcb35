"""What every quality repository shares: rows leave the db package as plain dicts, and a write
that breaks a unique key is the caller's AlreadyExists (its message, no half-written row)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.errors import AlreadyExists

Row = dict[str, Any]


async def one(session: AsyncSession, statement: Executable) -> Row:
    return dict((await session.execute(statement)).mappings().one())


async def first(session: AsyncSession, statement: Executable) -> Row | None:
    row = (await session.execute(statement)).mappings().first()
    return dict(row) if row is not None else None


async def all_rows(session: AsyncSession, statement: Executable) -> list[Row]:
    return [dict(r) for r in (await session.execute(statement)).mappings().all()]


async def unique_write(session: AsyncSession, statement: Executable, taken: str) -> Row:
    """The row `statement` returns; AlreadyExists(`taken`) when a unique key refuses it (the
    savepoint keeps the caller's transaction usable)."""
    try:
        async with session.begin_nested():
            return await one(session, statement)
    except IntegrityError as exc:
        raise AlreadyExists(taken) from exc


def by_id(rows: Sequence[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: r["id"])

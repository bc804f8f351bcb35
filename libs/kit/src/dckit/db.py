"""Async engine and one session (= one transaction) per unit of work; rows as plain dicts
for repositories (SQLAlchemy rows never leave a service's db package)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import Executable, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from dckit.settings import to_asyncpg_url


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, instrument: bool = True) -> None:
        self.engine: AsyncEngine = create_async_engine(
            to_asyncpg_url(url), pool_size=pool_size, pool_pre_ping=True
        )
        if instrument:
            SQLAlchemyInstrumentor().instrument(engine=self.engine.sync_engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed on success, rolled back on any exception."""
        async with self._sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


# Parameters of one statement, or a list of them (executemany, e.g. INSERT ... RETURNING).
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


async def fetch_all(
    session: AsyncSession, statement: Executable, params: Params = None
) -> list[dict[str, Any]]:
    """Every row of `statement` as a dict of its columns."""
    result = await session.execute(statement, params)
    return [dict(row) for row in result.mappings().all()]


async def fetch_first(
    session: AsyncSession, statement: Executable, params: Params = None
) -> dict[str, Any] | None:
    """The first row of `statement` as a dict, None when there is none."""
    row = (await session.execute(statement, params)).mappings().first()
    return None if row is None else dict(row)


async def fetch_one(
    session: AsyncSession, statement: Executable, params: Params = None
) -> dict[str, Any]:
    """The one row of `statement` (e.g. INSERT ... RETURNING) as a dict."""
    return dict((await session.execute(statement, params)).mappings().one())

"""Async engine and one session (= one transaction) per unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import text
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

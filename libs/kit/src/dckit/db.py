"""Async engine and one session (= one transaction) per unit of work."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from dckit.settings import to_asyncpg_url

T = TypeVar("T")


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


def record(cls: type[T], row: Mapping[Any, Any], **given: Any) -> T:
    """Dataclass `cls` from the same-named columns of `row` (other columns are left out), so
    repositories hand out domain records, never SQLAlchemy rows; `given` fields win."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in fields if f.init and f.name not in given]
    return cls(**{name: row[name] for name in names}, **given)

"""Async engine, one session (= one transaction) per unit of work, and rows as records."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import Table, text
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


def record(cls: type[T], row: Mapping[Any, Any], /, **values: Any) -> T:
    """Dataclass `cls` (a domain record) from a result row by column name, `values` adding to or
    overriding the row's: repositories hand records, never rows, to the layers above. Columns
    the record has no field for are left out; JSON arrays become tuples (records are frozen)."""
    kwargs: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        if spec.name in values:
            kwargs[spec.name] = values[spec.name]
        elif spec.init and spec.name in row:
            value = row[spec.name]
            kwargs[spec.name] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)


def row_values(
    table: Table, *sources: Any, skip: Collection[str] = (), **values: Any
) -> dict[str, Any]:
    """The values to write to `table` by column name: `values` first, then the same-named
    attribute of the first of `sources` (records) that has one; columns in `skip` (ids,
    timestamps the database stamps) and those no source has are left out. Tuples become lists
    (JSON arrays)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        name = column.name
        if name in values:
            out[name] = values[name]
            continue
        if name in skip:
            continue
        for source in sources:
            if hasattr(source, name):
                value = getattr(source, name)
                out[name] = list(value) if isinstance(value, tuple) else value
                break
    return out

"""Async engine and one session (= one transaction) per unit of work; repositories' building
blocks (rows as plain dicts or domain records, the by-id rows of a table): SQLAlchemy rows
never leave a service's db package."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import Executable, Table, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from dckit.errors import AlreadyExists, DeadlineExceeded
from dckit.settings import to_asyncpg_url

T = TypeVar("T")


# SQLSTATE of a statement cancelled by statement_timeout (or a cancel request).
QUERY_CANCELED = "57014"


class Database:
    """`statement_timeout` (seconds, 0 = none) is set on every connection: a statement running
    longer is cancelled by PostgreSQL and the session raises DeadlineExceeded, so one expensive
    request cannot hold the database."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        instrument: bool = True,
        statement_timeout: float = 0,
    ) -> None:
        self.statement_timeout = statement_timeout
        settings = {"statement_timeout": str(round(statement_timeout * 1000))}
        self.engine: AsyncEngine = create_async_engine(
            to_asyncpg_url(url),
            pool_size=pool_size,
            pool_pre_ping=True,
            connect_args={"server_settings": settings} if statement_timeout > 0 else {},
        )
        if instrument:
            SQLAlchemyInstrumentor().instrument(engine=self.engine.sync_engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed on success, rolled back on any exception."""
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
                raise DeadlineExceeded(
                    f"a database statement ran longer than {self.statement_timeout:g}s "
                    "(statement_timeout) and was cancelled; narrow the request"
                ) from exc
            raise

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


class TableRows(Generic[T]):
    """The rows of one table by `id`, as domain records (`to_record`): insert, get (locked
    for update if asked), update, delete. A unique violation is AlreadyExists with
    `conflict(values)` as its message, and leaves the caller's transaction usable; `touch`
    names a column set to now() by every update (e.g. `updated_at`). Repositories subclass it
    and add their queries."""

    def __init__(
        self,
        session: AsyncSession,
        table: Table,
        to_record: Callable[[Mapping[Any, Any]], T],
        *,
        conflict: Callable[[Mapping[str, Any]], str],
        touch: str = "",
    ) -> None:
        self.s, self.table, self.to_record = session, table, to_record
        self.conflict, self.touch = conflict, touch

    async def insert(self, values: Mapping[str, Any]) -> T:
        query = insert(self.table).values(**values).returning(self.table)
        return await self._write(query, values)

    async def get(self, row_id: int, *, for_update: bool = False) -> T | None:
        query = select(self.table).where(self.table.c.id == row_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.s.execute(query)).mappings().first()
        return None if row is None else self.to_record(row)

    async def update(self, row_id: int, values: Mapping[str, Any]) -> T:
        touched = {self.touch: func.now()} if self.touch else {}
        query = (
            update(self.table)
            .where(self.table.c.id == row_id)
            .values(**values, **touched)
            .returning(self.table)
        )
        return await self._write(query, values)

    async def delete(self, row_id: int) -> None:
        await self.s.execute(delete(self.table).where(self.table.c.id == row_id))

    async def _write(self, query: Any, values: Mapping[str, Any]) -> T:
        try:
            async with self.s.begin_nested():  # a savepoint: a conflict spoils nothing else
                return self.to_record((await self.s.execute(query)).mappings().one())
        except IntegrityError as exc:
            raise AlreadyExists(self.conflict(values)) from exc


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

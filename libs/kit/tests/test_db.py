"""Repositories' building blocks: domain records built from rows by column name, and the by-id
rows of a table over real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import Database, TableRows, record
from dckit.errors import AlreadyExists

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False, unique=True),
    Column("secret", String(50), nullable=False, server_default=""),
    Column("updated_at", DateTime(timezone=True), server_default=func.now()),
)


@dataclass(frozen=True)
class Thing:
    id: int
    name: str


def test_record_takes_the_same_named_columns_and_given_values() -> None:
    row = {"id": 1, "name": "a", "secret": b"sealed"}
    assert record(Thing, row) == Thing(1, "a")
    assert record(Thing, row, name="b") == Thing(1, "b")


@pytest.fixture
async def db(fresh_database: str) -> AsyncIterator[Database]:
    database = Database(fresh_database, pool_size=2, instrument=False)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()


def _rows(session: AsyncSession) -> TableRows[Thing]:
    return TableRows(
        session,
        things,
        lambda row: record(Thing, row),
        conflict=lambda values: f"a thing named {values.get('name')!r} exists",
        touch="updated_at",
    )


async def test_table_rows_crud_and_conflicts(db: Database) -> None:
    async with db.session() as session:
        rows = _rows(session)
        a = await rows.insert({"name": "a"})
        await rows.insert({"name": "b"})
        with pytest.raises(AlreadyExists, match="a thing named 'a' exists"):
            await rows.insert({"name": "a"})
        # The conflict rolled back its savepoint only: the transaction goes on.
        with pytest.raises(AlreadyExists, match="a thing named 'b' exists"):
            await rows.update(a.id, {"name": "b"})
        assert await rows.update(a.id, {"name": "c"}) == Thing(a.id, "c")
        assert await rows.get(a.id, for_update=True) == Thing(a.id, "c")
        await rows.delete(a.id)
        assert await rows.get(a.id) is None
    async with db.session() as session:
        stamps = (await session.execute(things.select())).mappings().all()
        assert [(r["name"], isinstance(r["updated_at"], datetime)) for r in stamps] == [("b", True)]


async def test_a_statement_over_the_timeout_is_cancelled_as_deadline_exceeded(
    fresh_database: str,
) -> None:
    """Issue 20: one expensive query (a viewer's deep lineage walk) could hold the database;
    every service session has a statement_timeout now."""
    import time

    from sqlalchemy import text

    from dckit.errors import DeadlineExceeded

    db = Database(fresh_database, pool_size=1, instrument=False, statement_timeout=0.3)
    try:
        began = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="statement_timeout"):
            async with db.session() as session:
                await session.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - began < 3
        async with db.session() as session:  # the connection is fine afterwards
            assert (await session.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await db.dispose()

"""Repositories read rows as plain dicts (no SQLAlchemy rows past a service's db package)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import MultipleResultsFound, NoResultFound

from dckit.db import fetch_all, fetch_first, fetch_one

from .conftest import KitDb


async def test_rows_come_back_as_dicts(kit_db: KitDb) -> None:
    items = kit_db.items
    async with kit_db.db.session() as session:
        one = await fetch_one(
            session, insert(items).values(event_id="a").returning(items.c.id, items.c.event_id)
        )
        await session.execute(insert(items).values(event_id="b"))
        assert type(one) is dict and one["event_id"] == "a"
        rows = await fetch_all(session, select(items).order_by(items.c.id))
        assert [type(r) for r in rows] == [dict, dict]
        assert [r["event_id"] for r in rows] == ["a", "b"]
        first = await fetch_first(session, select(items).where(items.c.event_id == "b"))
        assert first is not None and first["event_id"] == "b"
        assert await fetch_first(session, select(items).where(items.c.event_id == "z")) is None
        many = await fetch_all(
            session,
            insert(items).returning(items.c.event_id),
            [{"event_id": "c"}, {"event_id": "d"}],
        )
        assert many == [{"event_id": "c"}, {"event_id": "d"}]  # executemany with RETURNING
        with pytest.raises(NoResultFound):
            await fetch_one(session, select(items).where(items.c.event_id == "z"))
        with pytest.raises(MultipleResultsFound):
            await fetch_one(session, select(items).where(items.c.event_id.in_(["a", "b"])))

"""The demo database loader: realistic schema, enough rows, integrity, idempotency."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from devstack import demo
from devstack.databases import drop_database
from devstack.testing import run_sync
from devstack.urls import with_database

pytestmark = pytest.mark.timeout(120)


@contextlib.contextmanager
def loaded_demo(server_url: str) -> Iterator[tuple[str, demo.DemoResult]]:
    name = f"demo_test_{uuid.uuid4().hex[:10]}"
    result = run_sync(lambda: demo.load_demo(server_url, name, reader_password="reader-pw"))
    try:
        yield name, result
    finally:
        run_sync(lambda: drop_database(server_url, name))


@pytest.fixture(scope="module")
def demo_db(database_server_url: str) -> Iterator[tuple[str, demo.DemoResult]]:
    """The demo database, loaded once for the tests that only read it."""
    with loaded_demo(database_server_url) as loaded:
        yield loaded


@pytest.fixture
def own_demo_db(database_server_url: str) -> Iterator[tuple[str, demo.DemoResult]]:
    """A demo database of this test's own (it reloads and resets it)."""
    with loaded_demo(database_server_url) as loaded:
        yield loaded


@pytest.fixture
async def conn(
    database_server_url: str, demo_db: tuple[str, demo.DemoResult]
) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(with_database(database_server_url, demo_db[0]))
    yield connection
    await connection.close()


async def test_row_counts(demo_db: tuple[str, demo.DemoResult]) -> None:
    _, result = demo_db
    assert result.created
    assert result.counts["customers"] >= 5_000
    assert result.counts["products"] >= 200
    assert result.counts["orders"] >= 20_000
    assert result.counts["order_items"] >= result.counts["orders"]
    assert result.seconds < 30


async def test_foreign_keys_hold(conn: asyncpg.Connection) -> None:
    fks = await conn.fetch(
        "SELECT conname FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    )
    assert {r["conname"] for r in fks} >= {
        "orders_customer_id_fkey",
        "order_items_order_id_fkey",
        "order_items_product_id_fkey",
    }
    orphans = await conn.fetchval(
        """SELECT (SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
                   WHERE c.id IS NULL)
                + (SELECT count(*) FROM order_items i LEFT JOIN products p ON p.id = i.product_id
                   WHERE p.id IS NULL)"""
    )
    assert orphans == 0
    mismatched = await conn.fetchval(
        """SELECT count(*) FROM orders o
           JOIN (SELECT order_id, sum(quantity * unit_price) AS s FROM order_items
                 GROUP BY order_id) t ON t.order_id = o.id
           WHERE t.s <> o.order_total"""
    )
    assert mismatched == 0


async def test_dates_statuses_and_quality_wrinkles(conn: asyncpg.Connection) -> None:
    now = dt.datetime.now(dt.UTC)
    oldest, newest = await conn.fetchrow("SELECT min(order_date), max(order_date) FROM orders")
    assert now - oldest < dt.timedelta(days=90)
    assert newest <= now
    statuses = {r[0] for r in await conn.fetch("SELECT DISTINCT status FROM orders")}
    assert statuses == set(demo.STATUSES)
    null_phones = await conn.fetchval("SELECT count(*) FROM customers WHERE phone IS NULL")
    assert 0 < null_phones < 500
    per_day = await conn.fetch(
        """SELECT (order_date AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM orders
           GROUP BY 1 ORDER BY n"""
    )
    typical = sorted(r["n"] for r in per_day)[len(per_day) // 2]
    assert per_day[0]["n"] < typical * 0.4  # the outage day
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute("UPDATE products SET price = 0 WHERE id = 1")


async def test_views_indexes_and_comments(conn: asyncpg.Connection) -> None:
    views = {
        (r["schemaname"], r["viewname"])
        for r in await conn.fetch("SELECT schemaname, viewname FROM pg_views")
    }
    assert {("public", "customer_order_summary"), ("analytics", "daily_revenue")} <= views
    assert await conn.fetchval(
        "SELECT ispopulated FROM pg_matviews WHERE schemaname = 'analytics' "
        "AND matviewname = 'product_sales'"
    )
    assert await conn.fetchval("SELECT count(*) FROM analytics.daily_revenue") >= 89
    indexes = {r[0] for r in await conn.fetch("SELECT indexname FROM pg_indexes")}
    assert {"orders_order_date_idx", "orders_customer_id_idx", "products_sku_key"} <= indexes
    assert await conn.fetchval("SELECT obj_description('public.customers'::regclass, 'pg_class')")
    assert await conn.fetchval("SELECT col_description('public.orders'::regclass, 4)")
    commented = await conn.fetchval(
        "SELECT count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid "
        "WHERE c.relnamespace IN ('public'::regnamespace, 'analytics'::regnamespace)"
    )
    assert commented >= 10


async def test_reader_role_is_read_only(
    database_server_url: str, demo_db: tuple[str, demo.DemoResult]
) -> None:
    # The role is the server's, and other tests give it other passwords: (re)grant it, as
    # every `make run` does (the database itself is kept).
    await demo.load_demo(database_server_url, demo_db[0], reader_password="reader-pw")
    url = with_database(database_server_url, demo_db[0])
    reader = await asyncpg.connect(url, user=demo.READER_ROLE, password="reader-pw")
    try:
        assert await reader.fetchval("SELECT count(*) FROM analytics.product_sales") > 0
        assert await reader.fetchval("SELECT count(*) FROM public.customer_order_summary") > 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await reader.execute("DELETE FROM orders")
    finally:
        await reader.close()


async def test_load_is_idempotent_and_reset_recreates(
    database_server_url: str, own_demo_db: tuple[str, demo.DemoResult]
) -> None:
    name, first = own_demo_db
    again = await demo.load_demo(database_server_url, name, reader_password="reader-pw")
    assert not again.created
    assert again.counts == first.counts
    reset = await demo.load_demo(database_server_url, name, reset=True, reader_password="pw")
    assert reset.created
    assert reset.counts == first.counts


async def test_interrupted_load_is_rebuilt(database_server_url: str) -> None:
    """A database without the completion marker (an interrupted load) is rebuilt."""
    name = f"demo_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(database_server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        result = await demo.load_demo(database_server_url, name)
        assert result.created and result.counts["orders"] >= 20_000
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def test_generation_is_deterministic() -> None:
    now = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    first, second = demo.generate(now), demo.generate(now)
    assert first == second
    assert demo.generate(now, seed=1)["customers"] != first["customers"]

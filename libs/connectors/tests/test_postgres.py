"""The PostgreSQL connector against a real PostgreSQL: the metadata reader's bulk, snapshot-
consistent read; the executor's read-only statements, timeouts and errors without secrets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import pytest

from dcconnectors import registry
from dcconnectors.errors import QueryFailed, SourceError
from dcconnectors.postgres import metadata
from dcconnectors.postgres.executor import PostgresExecutor
from dcconnectors.scanned import ScannedObject
from devstack.testing import scratch_database
from devstack.urls import postgres_connection

PASSWORD = "Sup3r-S3cret-Pa55word!"  # the test server trusts local users: any password connects

SOURCE_SQL = """
CREATE SCHEMA sales;
CREATE TABLE sales.customers (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    "Display.Name" varchar(100),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sales.customers IS 'People who buy things';
CREATE UNIQUE INDEX customers_email_lower ON sales.customers (lower(email));
CREATE TABLE sales.orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL,
    amount numeric(12, 2) NOT NULL DEFAULT 0,
    day date,
    CONSTRAINT orders_amount_positive CHECK (amount >= 0),
    CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)
        REFERENCES sales.customers (id) ON DELETE CASCADE ON UPDATE RESTRICT
);
CREATE INDEX orders_big ON sales.orders USING brin (amount) WHERE amount > 100;
INSERT INTO sales.customers (email) VALUES ('a@x.io'), ('b@x.io');
INSERT INTO sales.orders (customer_id, amount, day) VALUES (1, 10, '2026-05-01'), (2, 250, NULL);
CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.orders WHERE amount > 100;
CREATE MATERIALIZED VIEW sales.order_totals AS
    SELECT customer_id, sum(amount) AS total FROM sales.orders GROUP BY customer_id;
CREATE TABLE sales.measurements (id bigint, taken_at date NOT NULL, value real)
    PARTITION BY RANGE (taken_at);
CREATE TABLE sales.measurements_2026 PARTITION OF sales.measurements
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE SCHEMA scratch;
CREATE TABLE scratch.tmp (x int);
"""


class Sql:
    def __init__(self, sql: str, params: Any = ()) -> None:
        self.sql, self.params = sql, params


@pytest.fixture
async def source(database_server_url: str) -> AsyncIterator[dict[str, Any]]:
    async with scratch_database(database_server_url, SOURCE_SQL, "dc_conn") as url:
        yield postgres_connection(url, password=PASSWORD, connect_timeout_seconds=5)


def by_name(found: list[ScannedObject]) -> dict[str, ScannedObject]:
    return {f"{o.schema}.{o.name}": o for o in found}


async def test_scan_reads_the_system_catalogs(source: dict[str, Any]) -> None:
    reader = registry.metadata_reader(
        "postgres", {**source, "exclude_schemas": ["scratch"]}, statement_timeout_ms=10_000
    )
    found = by_name(await reader.scan())
    assert {k: o.object_type for k, o in found.items()} == {
        "sales.customers": "table",
        "sales.orders": "table",
        "sales.big_orders": "view",
        "sales.order_totals": "materialized_view",
        "sales.measurements": "partitioned_table",
        "sales.measurements_2026": "table",
    }
    customers = found["sales.customers"]
    assert customers.comment == "People who buy things"
    assert [(c.name, c.data_type, c.nullable) for c in customers.columns] == [
        ("id", "bigint", False),
        ("email", "text", False),
        ("Display.Name", "character varying(100)", True),
        ("created_at", "timestamp with time zone", False),
    ]
    (expr_index,) = [i for i in customers.indexes if i.name == "customers_email_lower"]
    assert expr_index.unique and expr_index.columns == ("",)
    assert expr_index.expressions == ("lower(email)",)
    orders = found["sales.orders"]
    kinds = {c.constraint_type: c for c in orders.constraints}
    fk = kinds["foreign_key"]
    assert (fk.referenced_schema, fk.referenced_table, fk.referenced_columns) == (
        "sales",
        "customers",
        ("id",),
    )
    assert (fk.on_delete, fk.on_update) == ("CASCADE", "RESTRICT")
    assert kinds["check"].check_expression == "CHECK (amount >= 0::numeric)"
    assert kinds["default"].columns == ("amount",)
    (brin,) = [i for i in orders.indexes if i.index_type == "brin"]
    assert brin.predicate == "amount > 100::numeric"
    parted = found["sales.measurements"].partitioning
    assert parted is not None and (parted.strategy, parted.key) == ("range", ("taken_at",))
    assert found["sales.measurements_2026"].metadata["is_partition"] is True
    assert "FROM sales.orders" in (found["sales.big_orders"].definition or "")
    assert found["sales.orders"].stats.size_bytes


async def test_schema_filters(source: dict[str, Any]) -> None:
    reader = registry.metadata_reader(
        "postgres", {**source, "schemas": ["scratch"]}, statement_timeout_ms=10_000
    )
    assert list(by_name(await reader.scan())) == ["scratch.tmp"]


async def test_parallel_batched_read_matches_single_and_reports_progress(
    source: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    single = await metadata.PostgresMetadataReader(source, parallelism=1).scan()
    monkeypatch.setattr(metadata, "BATCH_SIZE", 2)
    seen: list[tuple[int, int]] = []
    parallel = await metadata.PostgresMetadataReader(source, parallelism=3).scan(
        lambda done, total: seen.append((done, total))
    )
    assert parallel == single and len(single) == 7
    assert seen[0] == (0, 7) and seen[-1] == (7, 7)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) == 1 + 4


async def test_connection_errors_name_the_cause_without_secrets(source: dict[str, Any]) -> None:
    cases = [
        ({"database": "no_such_db"}, "database does not exist"),
        ({"port": 1, "host": "127.0.0.1"}, "connection refused"),
    ]
    for change, cause in cases:
        conn = {**source, **change}
        with pytest.raises(SourceError, match=cause) as err:
            await registry.metadata_reader("postgres", conn, statement_timeout_ms=1000).scan()
        assert PASSWORD not in str(err.value)
        assert str(err.value).startswith(f"cannot connect to {conn['host']}:{conn['port']}/")


async def test_executor_reads_with_parameters_on_a_small_pool(source: dict[str, Any]) -> None:
    executor = registry.get("postgres").executor
    assert executor is not None
    run = executor(source, statement_timeout_ms=10_000)
    dialect = run.dialect
    params = dialect.params()
    table = dialect.table(run.table_path("sales", "orders"))
    sql = (
        f"SELECT count(*) AS n FROM {table} WHERE {dialect.quote('day')} >= "
        f"{params(date(2026, 1, 1), 'date')} AND amount > {params(5, 'numeric')}"
    )
    try:
        assert await run.fetch(Sql(sql, params.bound)) == [{"n": 1}]
        rows = await asyncio.gather(
            *(run.fetch(Sql("SELECT pg_backend_pid() AS p")) for _ in range(3))
        )
        assert len({r[0]["p"] for r in rows}) <= 3
        again = await run.fetch(Sql("SELECT pg_backend_pid() AS p"))
        assert again[0]["p"] in {r[0]["p"] for r in rows}  # connections are reused
    finally:
        await run.close()


async def test_executor_statements_are_read_only_and_bounded(source: dict[str, Any]) -> None:
    run = PostgresExecutor(source, statement_timeout_ms=200)
    try:
        with pytest.raises(QueryFailed, match="read-only transaction"):
            await run.fetch(Sql("INSERT INTO scratch.tmp VALUES (1)"))
        # Switching the session default off inside a statement leaves its transaction read-only.
        with pytest.raises(QueryFailed, match="read-only transaction"):
            await run.fetch(
                Sql(
                    "SELECT set_config('default_transaction_read_only', 'off', false), "
                    "(SELECT 1 FROM scratch.tmp FOR UPDATE) AS x"
                )
            )
        with pytest.raises(QueryFailed, match=r"exceeded the statement timeout \(200 ms\)"):
            await run.fetch(Sql("SELECT pg_sleep(2)"))
        with pytest.raises(QueryFailed, match='relation "nope" does not exist') as err:
            await run.fetch(Sql("SELECT * FROM nope"))
        assert PASSWORD not in str(err.value)
        assert await run.fetch(Sql("SELECT 1 AS one")) == [{"one": 1}]  # still usable
    finally:
        await run.close()
    url_conn = await asyncpg.connect(
        host=source["host"], port=source["port"], user=source["username"],
        database=source["database"],
    )  # fmt: skip
    try:
        assert await url_conn.fetchval("SELECT count(*) FROM scratch.tmp") == 0
    finally:
        await url_conn.close()

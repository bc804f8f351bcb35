"""`python -m bench.quality_checks [--rows N] [--repeat N]`: quality checks (12 rules) and column
profiles over a generated `rows`-row table (default 2,000,000; 10 columns), one JSON line.

In one run, on the same table and server:
- the physical floor: a bare `SELECT count(*)` (median of 3 after a warm-up);
- checks, ours: application.check_engine.evaluate() over PostgresExecutor, with the service's
  default sample_limit (10: one extra sample statement per rule that does not pass) and with
  sample_limit=0 (the counting statements alone);
- checks, naive: hand-written SQL as a simple tool would run it, sequentially on one
  connection: a count(*) for the percentages, one `count(*) WHERE <failing predicate>` per
  row-level rule, one GROUP BY per uniqueness rule, one aggregate per other rule;
- Soda Core: only reported (never installed here); see _soda();
- profiles, ours: application.profiling.profile_object() of every column, full and with
  sample_rows=100,000, against the same count(*) floor.
Statements are counted by wrapping the executor (every fetch() call is one statement).

Ours and naive must agree on every rule's failure count (and freshness on the newest value):
`counts_match`. The full profile's NULL counts are checked against the naive NOT NULL counts."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import random
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import psutil

from bench.servers import Servers, count_floor, drop_databases, servers, timed
from dcconnectors import registry
from dcconnectors.dialect import Dialect
from dcconnectors.postgres.executor import PostgresExecutor
from devstack.urls import postgres_connection, with_database
from quality_service.application.check_engine import evaluate
from quality_service.application.ports import CatalogObject
from quality_service.application.profiling import profile_object
from quality_service.domain.json_values import json_safe
from quality_service.domain.profiling import ObjectProfile
from quality_service.domain.quality_rules import Rule, validate
from quality_service.domain.query import Query
from quality_service.domain.rule_types.base import CheckOutcome

TABLE = "orders"
STATEMENT_TIMEOUT_MS = 30 * 60 * 1000
SAMPLE_ROWS = 100_000
STATUSES = ("new", "paid", "shipped", "delivered", "cancelled")
CODE_PATTERN = "^[A-Z]{3}-[0-9]{4}$"
# The email shape of format_valid (docs/quality-rules.md), written out again for the naive side.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PG = registry.dialect("postgres")
# name → catalog data_type (what the catalog would report for the CREATE TABLE below).
COLUMNS: dict[str, str] = {
    "id": "bigint",
    "customer_id": "integer",
    "quantity": "integer",
    "amount": "numeric(12,2)",
    "status": "text",
    "email": "text",
    "code": "text",
    "external_ref": "text",
    "created_at": "timestamp with time zone",
    "updated_at": "timestamp without time zone",
}
DDL = f"""
CREATE TABLE {TABLE} (
    id           bigint NOT NULL,
    customer_id  integer,
    quantity     integer,
    amount       numeric(12,2),
    status       text,
    email        text,
    code         text,
    external_ref text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamp
)
"""

# (rule_type, column, rule_config): the 12 rules of the check.
RULES: list[tuple[str, str, dict[str, Any]]] = [
    ("not_null", "customer_id", {}),
    ("not_null", "email", {}),
    ("not_null", "amount", {"max_failure_percent": 5}),
    ("value_in_set", "status", {"allowed_values": list(STATUSES)}),
    ("pattern_match", "code", {"pattern": CODE_PATTERN}),
    ("format_valid", "email", {"format": "email"}),
    ("range_check", "quantity", {"min": 0, "max": 100}),
    ("length_check", "email", {"min_length": 6, "max_length": 40}),
    ("unique", "external_ref", {}),
    ("duplicate_threshold", "email", {"max_duplicate_percent": 1}),
    ("freshness", "created_at", {"max_age": "1d"}),
    ("completeness_threshold", "updated_at", {"threshold_percent": 85}),
]
_T = f'"{TABLE}"'
# The naive tool's SQL, one statement per rule (same order as RULES), written by hand. Each
# gives the rule's failure count, except freshness (the newest value).
NAIVE_SQL: list[str] = [
    f"SELECT count(*) FROM {_T} WHERE customer_id IS NULL",
    f"SELECT count(*) FROM {_T} WHERE email IS NULL",
    f"SELECT count(*) FROM {_T} WHERE amount IS NULL",
    f"SELECT count(*) FROM {_T} WHERE status IS NOT NULL AND status NOT IN "
    f"({', '.join(repr(s) for s in STATUSES)})",
    f"SELECT count(*) FROM {_T} WHERE code IS NOT NULL AND code !~ '{CODE_PATTERN}'",
    f"SELECT count(*) FROM {_T} WHERE email IS NOT NULL AND email !~ '{EMAIL_PATTERN}'",
    f"SELECT count(*) FROM {_T} WHERE quantity < 0 OR quantity > 100",
    f"SELECT count(*) FROM {_T} WHERE length(email) < 6 OR length(email) > 40",
    f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {_T} "
    "WHERE external_ref IS NOT NULL GROUP BY external_ref HAVING count(*) > 1) d",
    f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {_T} "
    "GROUP BY email HAVING count(*) > 1) d",
    f"SELECT max(created_at) FROM {_T}",
    f"SELECT count(*) FROM {_T} WHERE updated_at IS NULL",
]
NAIVE_TOTAL_SQL = f"SELECT count(*) FROM {_T}"  # the denominator of every percentage

OBJECT = CatalogObject(
    ref=f"bench.public.{TABLE}",
    urn=f"urn:dc:bench:public:{TABLE}",
    source_name="bench",
    source_type="postgres",
    schema="public",
    name=TABLE,
    columns=COLUMNS,
)


# --- data ------------------------------------------------------------------------------------


def _records(rows: int, now: datetime, seed: int = 42) -> Iterator[tuple[Any, ...]]:
    """Rows streamed into COPY (never all in memory). Dirty on purpose, so every rule has
    failures to count: NULLs, out-of-range quantities, unknown statuses, malformed codes and
    emails, over-long emails, duplicated refs and emails."""
    rng = random.Random(seed)
    r = rng.random
    start = now - timedelta(days=90)
    step = (timedelta(days=90) - timedelta(hours=1)).total_seconds() / rows
    prefixes = [
        "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) for _ in range(64)
    ]
    customers = max(2, rows // 10)
    for i in range(1, rows + 1):
        created = start + timedelta(seconds=i * step)
        quantity: int | None = None if r() < 0.05 else rng.randrange(0, 101)
        if quantity is not None and r() < 0.002:
            quantity = rng.choice((-rng.randrange(1, 10), rng.randrange(101, 1000)))
        status: str | None = STATUSES[int(r() * 5)]
        x = r()
        if x < 0.0005:
            status = None
        elif x < 0.0015:
            status = "unknown"
        address = f"user{rng.randrange(rows)}@example.com"
        x = r()
        email: str | None = address
        if x < 0.01:
            email = None
        elif x < 0.013:
            email = address.replace("@", ".")  # no @
        elif x < 0.015:
            email = address.replace("@", "@" + "x" * 30 + ".")  # too long (> 40)
        code = f"{prefixes[i % 64]}-{rng.randrange(10000):04d}"
        x = r()
        if x < 0.002:
            code = code.lower()
        elif x < 0.003:
            code = code[:6]
        ref: str | None = f"R{i:09d}"
        x = r()
        if x < 0.005:
            ref = None
        elif x < 0.006:
            ref = f"R{rng.randrange(1, i + 1):09d}"  # a duplicate of an earlier one
        yield (
            i,
            None if r() < 0.03 else rng.randrange(1, customers),
            quantity,
            None if r() < 0.02 else Decimal(rng.randrange(0, 1_000_000)).scaleb(-2),
            status,
            email,
            code,
            ref,
            created,
            None
            if r() < 0.1
            else (created + timedelta(minutes=rng.randrange(0, 10_000))).replace(tzinfo=None),
        )


async def _make_source(server_url: str, name: str, rows: int, now: datetime) -> str:
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(server_url, name)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(DDL)
        await conn.copy_records_to_table(TABLE, records=_records(rows, now), columns=list(COLUMNS))
        # VACUUM too: hint bits and the visibility map now, so autovacuum does not start on
        # the fresh table in the middle of a measurement.
        await conn.execute(f"VACUUM ANALYZE {_T}")
    finally:
        await conn.close()
    return url


# --- measuring -------------------------------------------------------------------------------


class CountingExecutor:
    """The engine's executor, counting statements (each fetch() is one) and timing each."""

    def __init__(self, inner: PostgresExecutor) -> None:
        self.inner = inner
        self.statements = 0
        self.timings: list[tuple[float, str]] = []  # (seconds, start of the SQL)

    @property
    def dialect(self) -> Dialect:
        return self.inner.dialect

    def table_path(self, schema: str, name: str) -> tuple[str, ...]:
        return self.inner.table_path(schema, name)

    async def fetch(self, query: Query) -> list[dict[str, Any]]:
        self.statements += 1
        start = time.perf_counter()
        try:
            return await self.inner.fetch(query)
        finally:
            self.timings.append((time.perf_counter() - start, " ".join(query.sql.split())[:120]))

    def slowest(self, n: int = 5) -> list[dict[str, Any]]:
        return [{"s": round(t, 3), "sql": sql} for t, sql in sorted(self.timings)[::-1][:n]]

    async def close(self) -> None:
        await self.inner.close()


def _rules() -> list[Rule]:
    return [
        Rule(
            i + 1,
            f"{t} {column}",
            validate(t, column, cfg, columns=COLUMNS, dialect=PG, severity="error"),
        )
        for i, (t, column, cfg) in enumerate(RULES)
    ]


async def _ours_check(
    connection: dict[str, Any], rules: list[Rule], sample_limit: int, now: datetime
) -> tuple[list[CheckOutcome], int]:
    executor = CountingExecutor(
        PostgresExecutor(connection, statement_timeout_ms=STATEMENT_TIMEOUT_MS)
    )
    try:
        outcomes = await evaluate(executor, OBJECT, rules, sample_limit=sample_limit, now=now)
    finally:
        await executor.close()
    errors = [(o.rule_id, o.error) for o in outcomes if o.status == "error"]
    if errors:
        raise RuntimeError(f"rules in error: {errors}")
    return outcomes, executor.statements


async def _naive_check(url: str) -> tuple[int, list[Any]]:
    conn = await asyncpg.connect(url)
    try:
        total = int(await conn.fetchval(NAIVE_TOTAL_SQL))
        return total, [await conn.fetchval(sql) for sql in NAIVE_SQL]
    finally:
        await conn.close()


def _ours_values(outcomes: list[CheckOutcome]) -> list[Any]:
    """What each rule's naive statement gives: the failure count, or the newest value."""
    return [
        o.details.get("newest") if t == "freshness" else o.failure_count
        for o, (t, _, _) in zip(outcomes, RULES, strict=True)
    ]


def _naive_values(values: list[Any]) -> list[Any]:
    return [
        json_safe(v) if t == "freshness" else int(v)
        for v, (t, _, _) in zip(values, RULES, strict=True)
    ]


async def _ours_profile(
    connection: dict[str, Any], sample_rows: int | None
) -> tuple[ObjectProfile, CountingExecutor]:
    executor = CountingExecutor(
        PostgresExecutor(connection, statement_timeout_ms=STATEMENT_TIMEOUT_MS)
    )
    try:
        profile = await profile_object(executor, OBJECT, sample_rows=sample_rows)
    finally:
        await executor.close()
    return profile, executor


def _soda() -> dict[str, Any]:
    # Never installed by this benchmark (dq_backfill --soda times it in a throwaway venv).
    if importlib.util.find_spec("soda") is None:
        return {"skipped": "soda-core-postgres is not importable (not installed; none installed)"}
    return {"skipped": "soda-core-postgres is importable, but this benchmark does not run it"}


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


# --- the benchmark ---------------------------------------------------------------------------


async def run(srv: Servers, *, rows: int = 2_000_000, repeat: int = 3) -> dict[str, Any]:
    repeat = max(1, repeat)
    name = f"bench_checks_{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    rules = _rules()
    try:
        generate_s, url = await timed(lambda: _make_source(srv.database_url, name, rows, now))
        rss_after_generate = _peak_rss_mb()
        connection = postgres_connection(url)
        floor_s = await count_floor(url, NAIVE_TOTAL_SQL, rows)

        ours_t, bare_t, naive_t = [], [], []
        ours: list[CheckOutcome] = []
        ours_statements = bare_statements = 0
        bare: list[CheckOutcome] = []
        naive_total, naive_raw = 0, list[Any]()
        for _ in range(repeat):
            t, (ours, ours_statements) = await timed(
                lambda: _ours_check(connection, rules, 10, now)
            )
            ours_t.append(t)
            t, (bare, bare_statements) = await timed(lambda: _ours_check(connection, rules, 0, now))
            bare_t.append(t)
            t, (naive_total, naive_raw) = await timed(lambda: _naive_check(url))
            naive_t.append(t)
        rss_after_checks = _peak_rss_mb()

        ours_values, naive_values = _ours_values(ours), _naive_values(naive_raw)
        mismatched = [
            {"rule": f"{t} {c}", "ours": o, "naive": n}
            for (t, c, _), o, n in zip(RULES, ours_values, naive_values, strict=True)
            if o != n
        ]
        counts_match = (
            not mismatched
            and _ours_values(bare) == ours_values
            and all(o.total_count == naive_total for o in ours)
        )

        full_t, sampled_t = [], []
        full: ObjectProfile | None = None
        sampled: ObjectProfile | None = None
        full_exec: CountingExecutor | None = None
        sampled_exec: CountingExecutor | None = None
        rss_before_profiles = _rss_mb()
        for _ in range(repeat):
            t, (full, full_exec) = await timed(lambda: _ours_profile(connection, None))
            full_t.append(t)
            t, (sampled, sampled_exec) = await timed(lambda: _ours_profile(connection, SAMPLE_ROWS))
            sampled_t.append(t)
        assert full is not None and sampled is not None
        assert full_exec is not None and sampled_exec is not None
        naive_nulls = {c: naive_values[i] for i, (t, c, _) in enumerate(RULES) if t == "not_null"}
        profile_nulls = {p.column: p.null_count for p in full.columns if p.column in naive_nulls}

        ours_s, bare_s, naive_s = (statistics.median(t) for t in (ours_t, bare_t, naive_t))
        full_s, sampled_s = statistics.median(full_t), statistics.median(sampled_t)
        return {
            "benchmark": "quality_checks",
            "rows": rows,
            "columns": len(COLUMNS),
            "repeat": repeat,
            "generate_s": round(generate_s, 3),
            "floor_count_s": round(floor_s, 4),
            "checks": {
                "rules": len(rules),
                "ours_s": round(ours_s, 4),
                "ours_statements": ours_statements,
                "ours_sample_limit": 10,
                "ours_no_samples_s": round(bare_s, 4),
                "ours_no_samples_statements": bare_statements,
                "naive_s": round(naive_s, 4),
                "naive_statements": len(NAIVE_SQL) + 1,
                "ratio_ours_to_floor": round(ours_s / floor_s, 2),
                "ratio_ours_no_samples_to_floor": round(bare_s / floor_s, 2),
                "ratio_naive_to_ours": round(naive_s / ours_s, 2),
                "ratio_naive_to_ours_no_samples": round(naive_s / bare_s, 2),
                "counts_match": counts_match,
                "mismatched": mismatched,
                "statuses": {
                    f"{t} {c}": o.status for (t, c, _), o in zip(RULES, ours, strict=True)
                },
                "failure_counts": {
                    f"{t} {c}": v for (t, c, _), v in zip(RULES, ours_values, strict=True)
                },
                "soda": _soda(),
            },
            "profile": {
                "full_s": round(full_s, 4),
                "full_statements": full_exec.statements,
                "full_slowest_statements": full_exec.slowest(),
                "sampled_s": round(sampled_s, 4),
                "sampled_statements": sampled_exec.statements,
                "sampled_slowest_statements": sampled_exec.slowest(3),
                "sample_rows": SAMPLE_ROWS,
                "sampled_rows_read": sampled.sample_size,
                "sample_percentage": round(sampled.sample_percentage, 4),
                "ratio_full_to_floor": round(full_s / floor_s, 2),
                "ratio_sampled_to_floor": round(sampled_s / floor_s, 2),
                "ratio_full_to_sampled": round(full_s / sampled_s, 2),
                "row_count_ok": full.row_count == rows and sampled.row_count == rows,
                "null_counts_match": profile_nulls == naive_nulls,
                "rss_mb_before": rss_before_profiles,
                "rss_mb_after": _rss_mb(),
            },
            "peak_rss_mb_after_generate": rss_after_generate,
            "peak_rss_mb_after_checks": rss_after_checks,
            "peak_rss_mb": _peak_rss_mb(),
        }
    finally:
        await drop_databases(srv.database_url, name)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.quality_checks")
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows in the generated table")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (median)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with servers() as srv:
        result = asyncio.run(run(srv, rows=args.rows, repeat=args.repeat))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

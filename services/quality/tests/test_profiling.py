"""Column profiling and rule suggestions on a real PostgreSQL table of generated rows; every
figure is checked against an independent Python computation over the same rows."""

from __future__ import annotations

import asyncio
import math
import random
import re
import statistics
import string
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from test_profiling_sql import BAD, GOOD, TRICKY

from dcconnectors import registry
from dcconnectors.errors import QueryFailed
from dcconnectors.postgres.executor import PostgresExecutor
from dckit.errors import InvalidArgument
from devstack.databases import SourceDatabases
from devstack.testing import scratch_database
from devstack.urls import postgres_connection
from quality_service.application.ports import CatalogObject
from quality_service.application.profiling import profile_object
from quality_service.domain.profiling import FORMATS, ColumnProfile, ObjectProfile, shape_regex
from quality_service.domain.query import Query
from quality_service.domain.suggestions import suggest_all

PG = registry.dialect("postgres")
N = 600
WEIRD = 'we"ird col'
SETUP_SQL = f"""
CREATE SCHEMA prof;
CREATE TABLE prof.items (
    id bigint NOT NULL,
    qty integer,
    price numeric(10,2),
    score double precision NOT NULL,
    code text NOT NULL,
    email text,
    status text NOT NULL,
    note text,
    created_at timestamptz,
    day date NOT NULL,
    "{WEIRD.replace('"', '""')}" integer
);
"""
COLUMNS = {
    "id": "bigint",
    "qty": "integer",
    "price": "numeric(10,2)",
    "score": "double precision",
    "code": "text",
    "email": "text",
    "status": "text",
    "note": "text",
    "created_at": "timestamp with time zone",
    "day": "date",
    WEIRD: "integer",
}
OBJ = CatalogObject(
    ref="src.prof.items", urn="urn:x", source_name="src", source_type="postgres",
    schema="prof", name="items", columns=COLUMNS,
)  # fmt: skip
STATUSES = ["active", "inactive", "pending", "archived"]


def generate(seed: int = 11) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(N):
        letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
        code = f"{letters}-{rng.randint(0, 9999):04d}"
        email: str | None = f"user{rng.randint(1, 400)}@example{rng.randint(1, 3)}.com"
        if i % 300 == 7:
            email = "not-an-email"  # 2 in 600: still >= 98% valid
        elif rng.random() < 0.08:
            email = None
        note = rng.choice(
            [None, "free text", "Some Note 12", "x", "hello world!", "A.b", "Ünï 7", "Ça va 42"]
        )
        rows.append(
            (
                i + 1,
                None if rng.random() < 0.1 else rng.randint(0, 500),
                None if rng.random() < 0.05 else Decimal(rng.randint(100, 99999)) / 100,
                rng.gauss(50.0, 12.5),
                code,
                email,
                rng.choices(STATUSES, weights=[6, 2, 1, 1])[0],
                note,
                None if rng.random() < 0.02 else t0 + timedelta(seconds=rng.randint(0, 10**7)),
                date(2025, 1, 1) + timedelta(days=rng.randint(0, 365)),
                rng.randint(-4, 5),
            )
        )
    return rows


ROWS = generate()
NAMES = list(COLUMNS)


@dataclass
class Source:
    executor: PostgresExecutor


async def build_items(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SETUP_SQL)
        await conn.copy_records_to_table("items", schema_name="prof", records=ROWS, columns=NAMES)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@pytest.fixture
async def source(source_databases: SourceDatabases) -> AsyncIterator[Source]:
    """The profiled table, built once per session (these tests only read it)."""
    url = await source_databases.shared("profiling", build_items)
    executor = PostgresExecutor(postgres_connection(url), statement_timeout_ms=30_000)
    try:
        yield Source(executor)
    finally:
        await executor.close()


class Recording:
    """Wraps an executor and records every query it runs."""

    def __init__(self, inner: PostgresExecutor, fail_on: str | None = None) -> None:
        self.inner = inner
        self.queries: list[Query] = []
        self.dialect = inner.dialect
        self.fail_on = fail_on  # a query whose SQL holds this fails
        self.running = self.most_running = 0
        self.finished = 0

    def table_path(self, schema: str, name: str) -> tuple[str, ...]:
        return self.inner.table_path(schema, name)

    async def fetch(self, query: Query) -> list[dict[str, Any]]:
        self.queries.append(query)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            if self.fail_on is not None and self.fail_on in query.sql:
                await asyncio.sleep(0.05)  # let the others start
                raise QueryFailed("metric query on x failed: injected")
            rows = await self.inner.fetch(query)
            self.finished += 1
            return rows
        finally:
            self.running -= 1

    async def close(self) -> None:
        await self.inner.close()


# -- independent computations -------------------------------------------------------------------


def values(name: str, rows: Sequence[tuple[Any, ...]] = ROWS) -> list[Any]:
    i = NAMES.index(name)
    return [r[i] for r in rows]


def percentile_cont(sorted_xs: list[float], p: float) -> float:
    pos = p * (len(sorted_xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def as_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return str(v.quantize(Decimal("0.01")))
    return str(v)


def expected_mcv(vs: list[Any], top: int = 10) -> list[tuple[str | None, int]]:
    counts = Counter(as_text(v) for v in vs)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    return ordered[:top]


def shape(v: str) -> str:
    return re.sub("[0-9]", "9", re.sub("[a-z]", "a", re.sub("[A-Z]", "A", v)))


def approx(x: float | None) -> Any:
    return pytest.approx(x, rel=1e-9, abs=1e-9)


def by_name(profile: ObjectProfile) -> dict[str, ColumnProfile]:
    return {c.column: c for c in profile.columns}


# -- tests ---------------------------------------------------------------------------------------


async def test_scalar_statistics_match_python(source: Source) -> None:
    rec = Recording(source.executor)
    calls: list[tuple[int, int]] = []
    profile = await profile_object(rec, OBJ, progress=lambda d, t: calls.append((d, t)))

    assert profile.row_count == N and not profile.sampled
    assert profile.sample_size == N and profile.sample_percentage == 100.0
    cols = by_name(profile)
    assert list(cols) == NAMES
    for name in NAMES:
        vs = values(name)
        present = [v for v in vs if v is not None]
        prof = cols[name]
        assert prof.total_count == N
        assert prof.null_count == N - len(present), name
        assert prof.distinct_count == len(set(present)), name
        assert prof.completeness_score == approx(len(present) / N * 100)
        assert prof.null_percentage == approx((N - len(present)) / N * 100)
        assert prof.uniqueness_score == approx(len(set(present)) / len(present) * 100)
        if prof.family == "numeric":
            xs = sorted(float(v) for v in present)
            assert prof.min_value == xs[0] and prof.max_value == xs[-1]
            assert prof.mean_value == approx(statistics.fmean(xs))
            assert prof.std_dev == approx(statistics.stdev(xs))
            assert prof.variance == approx(statistics.variance(xs))
            assert prof.median_value == approx(percentile_cont(xs, 0.5))
            assert prof.percentile_25 == approx(percentile_cont(xs, 0.25))
            assert prof.percentile_75 == approx(percentile_cont(xs, 0.75))
        else:
            assert prof.mean_value is None and prof.histogram == []
        if prof.family == "text":
            lengths = [len(v) for v in present]
            assert (prof.min_length, prof.max_length) == (min(lengths), max(lengths))
            assert prof.avg_length == approx(statistics.fmean(lengths))
            expected = {
                f: sum(bool(re.search(rx, v)) for v in present) for f, rx in FORMATS.items()
            }
            assert prof.formats == expected, name
        else:
            assert prof.formats == {} and prof.detected_patterns == []
    assert cols["created_at"].earliest == min(v for v in values("created_at") if v).isoformat()
    assert cols["created_at"].latest == max(v for v in values("created_at") if v).isoformat()
    assert cols["day"].earliest == min(values("day")).isoformat()
    assert cols["day"].latest == max(values("day")).isoformat()

    # Scores: validity is the dominant format's share, when one dominates.
    emails = [v for v in values("email") if v is not None]
    valid = sum(bool(re.search(FORMATS["email"], v)) for v in emails)
    assert cols["email"].validity_score == approx(valid / len(emails) * 100)
    assert 98 <= (cols["email"].validity_score or 0) < 100
    assert cols["status"].validity_score is None and cols["code"].validity_score is None

    # The scalar statistics are one statement; then one query per column and kind.
    stats = [q for q in rec.queries if q.aliases]
    assert len(stats) == 1
    assert {col for _, col in stats[0].aliases.values()} == {"", *NAMES}
    numeric = sum(c.family == "numeric" for c in profile.columns)
    text = sum(c.family == "text" for c in profile.columns)
    assert len(rec.queries) == 1 + len(NAMES) + numeric + text
    assert calls == [(i + 1, len(rec.queries)) for i in range(len(rec.queries))]
    # JSON-safe: plain builtins only.
    import json

    json.dumps(profile.to_dict())


async def test_most_common_values_histogram_and_patterns(source: Source) -> None:
    profile = await profile_object(source.executor, OBJ, top_values=10)
    cols = by_name(profile)
    for name in ("status", "qty", "price", "email", "day", WEIRD):
        got = [(v["value"], v["count"]) for v in cols[name].most_common_values]
        assert got == expected_mcv(values(name)), name
        for v in cols[name].most_common_values:
            assert v["percentage"] == approx(v["count"] / N * 100)
    assert cols["status"].most_common_values[0]["value"] == "active"

    for name in ("id", "qty", "price", "score", WEIRD):
        prof = cols[name]
        hist = prof.histogram
        assert len(hist) == 10 and sum(b["count"] for b in hist) == prof.non_null_count
        assert hist[0]["low"] == prof.min_value and hist[-1]["high"] == prof.max_value
    # Exact bucket counts where no value sits on an interior boundary.
    xs = [float(v) for v in values("price") if v is not None]
    lo, hi = min(xs), max(xs)
    width = (hi - lo) / 10
    edges = [lo + k * width for k in range(1, 10)]
    assert all(abs(x - e) > 1e-6 for x in xs for e in edges)
    expected = Counter(min(int((x - lo) / width), 9) for x in xs)
    assert [b["count"] for b in cols["price"].histogram] == [expected[k] for k in range(10)]

    # Shapes: every code is AAA-9999; notes have several shapes.
    assert cols["code"].detected_patterns == [
        {"pattern": "^[A-Z]{3}-[0-9]{4}$", "match_count": N, "percentage": 100.0}
    ]
    # Notes have several shapes (ASCII letters and digits only: Ü, ï, Ç stay as they are),
    # most frequent first, ties by shape in binary order.
    notes = [v for v in values("note") if v is not None]
    shapes = Counter(shape(v) for v in notes)
    expected_shapes = sorted(shapes.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert len(shapes) > 5 and any(not s.isascii() for s, _ in expected_shapes)
    assert [(p["pattern"], p["match_count"]) for p in cols["note"].detected_patterns] == [
        (shape_regex(s), n) for s, n in expected_shapes
    ]
    for p in cols["note"].detected_patterns:
        matching = [v for v in notes if re.fullmatch(p["pattern"][1:-1], v)]
        assert len(matching) == p["match_count"], p
        assert p["percentage"] == approx(len(matching) / len(notes) * 100)


async def test_selected_columns_and_unknown_ones(source: Source) -> None:
    profile = await profile_object(source.executor, OBJ, ["status", WEIRD])
    assert [c.column for c in profile.columns] == ["status", WEIRD]
    with pytest.raises(InvalidArgument, match=r"'nope', 'also_not'") as err:
        await profile_object(source.executor, OBJ, ["status", "nope", "also_not"])
    assert err.value.message.startswith("columns:")
    with pytest.raises(InvalidArgument, match="top_values"):
        await profile_object(source.executor, OBJ, top_values=0)


async def test_sampling_reads_one_sample_in_every_query(source: Source) -> None:
    rec = Recording(source.executor)
    profile = await profile_object(rec, OBJ, sample_rows=200)
    assert profile.sampled and profile.row_count == N
    assert profile.sample_percentage == approx(200 / N * 100)
    assert 0 < profile.sample_size < N
    assert all("TABLESAMPLE BERNOULLI" in q.sql for q in rec.queries[1:])
    cols = by_name(profile)
    size = profile.sample_size
    # Every query saw the same rows: counts from different queries agree.
    assert all(c.total_count == size for c in profile.columns)
    assert sum(v["count"] for v in cols["status"].most_common_values) == size
    assert sum(b["count"] for b in cols["id"].histogram) == size
    assert sum(p["match_count"] for p in cols["code"].detected_patterns) == size
    assert cols["id"].distinct_count == size
    # ... and the sampled statistics are those of a subset of the table.
    assert min(values("id")) <= (cols["id"].min_value or 0)
    # No sampling when the table is small enough.
    small = await profile_object(source.executor, OBJ, ["id"], sample_rows=N)
    assert not small.sampled and small.sample_size == N


async def test_parallelism_is_bounded_and_changes_nothing(source: Source) -> None:
    one = Recording(source.executor)
    sequential = await profile_object(one, OBJ, parallelism=1)
    four = Recording(source.executor)
    calls: list[tuple[int, int]] = []
    parallel = await profile_object(
        four, OBJ, parallelism=4, progress=lambda d, t: calls.append((d, t))
    )
    assert one.most_running == 1 and four.most_running == 4
    assert len(one.queries) == len(four.queries)
    assert calls == [(i + 1, len(four.queries)) for i in range(len(four.queries))]
    for a, b in zip(sequential.columns, parallel.columns, strict=True):
        assert a.to_dict() == b.to_dict()
    with pytest.raises(InvalidArgument, match=r"^parallelism: "):
        await profile_object(source.executor, OBJ, parallelism=0)


async def test_a_failing_statement_fails_the_profile_and_stops_the_others(
    source: Source,
) -> None:
    rec = Recording(source.executor, fail_on="translate(")
    with pytest.raises(QueryFailed, match="injected"):  # as raised, not in an ExceptionGroup
        await profile_object(rec, OBJ, parallelism=2)
    assert rec.running == 0  # nothing left running behind the failure
    numeric = sum(PG.type_family(t) == "numeric" for t in COLUMNS.values())
    text = sum(PG.type_family(t) == "text" for t in COLUMNS.values())
    assert len(rec.queries) < 1 + len(NAMES) + numeric + text  # the rest never started


MIXED_SQL = """
CREATE SCHEMA m;
CREATE TABLE m.t (x numeric, f double precision, s text, nothing integer, fmt text);
"""


async def test_distinct_counts_equal_values_once_and_never_null(database_server_url: str) -> None:
    """The distinct count comes from the value-frequency query: values equal in their type
    count once (7 = 7.0, 0 = -0), NULL never does, as count(DISTINCT) has it; the most common
    values follow the same groups. Formats are counted exactly, LIKE gates and all."""
    fmt_values = [v for vs in (*GOOD.values(), *BAD.values()) for v in vs] + TRICKY[:-1]
    rows: list[tuple[Any, ...]] = [
        (Decimal("7"), 0.0, "a", None, None),
        (Decimal("7.0"), -0.0, "a", None, None),
        (Decimal("7.00"), 1.5, None, None, None),
        (None, None, "b", None, None),
        (Decimal("8.5"), 1.5, "B", None, None),
        (None, None, None, None, None),
    ]
    rows += [(None, None, None, None, v) for v in fmt_values]
    async with scratch_database(database_server_url, MIXED_SQL, prefix="prof") as url:
        conn = await asyncpg.connect(url)
        try:
            names = ["x", "f", "s", "nothing", "fmt"]
            await conn.copy_records_to_table("t", schema_name="m", records=rows, columns=names)
        finally:
            await conn.close()
        executor = PostgresExecutor(postgres_connection(url), statement_timeout_ms=30_000)
        try:
            obj = CatalogObject(
                ref="s.m.t", urn="u", source_name="s", source_type="postgres", schema="m",
                name="t", columns={"x": "numeric", "f": "double precision", "s": "text",
                                   "nothing": "integer", "fmt": "text"},
            )  # fmt: skip
            cols = by_name(await profile_object(executor, obj))
        finally:
            await executor.close()
    for i, name in enumerate(["x", "f", "s", "nothing", "fmt"]):
        present = [r[i] for r in rows if r[i] is not None]
        prof = cols[name]
        assert prof.distinct_count == len(set(present)), name
        assert prof.uniqueness_score == (
            approx(len(set(present)) / len(present) * 100) if present else None
        )
        # One entry per group: their counts (NULL's included) add up to every row.
        assert sum(v["count"] for v in prof.most_common_values) == len(rows) or (
            len(prof.most_common_values) == 10
        )
    x_nulls = sum(r[0] is None for r in rows)
    assert [v["count"] for v in cols["x"].most_common_values] == [x_nulls, 3, 1]  # NULL, 7s, 8.5
    assert cols["x"].most_common_values[1]["value"] in {"7", "7.0", "7.00"}
    assert cols["nothing"].most_common_values == [
        {"value": None, "count": len(rows), "percentage": 100.0}
    ]
    assert cols["fmt"].formats == {
        name: sum(bool(re.search(rx, v)) for v in fmt_values) for name, rx in FORMATS.items()
    }


# -- suggestions ---------------------------------------------------------------------------------

# Keys rule_config may hold, per the rules contract; row-level rules accept max_failure_percent.
CONTRACT_KEYS = {
    "not_null": set(),
    "unique": set(),
    "value_in_set": {"allowed_values", "case_sensitive"},
    "range_check": {"min", "max", "inclusive"},
    "format_valid": {"format"},
    "pattern_match": {"pattern", "pattern_description"},
}


async def test_suggestions(source: Source) -> None:
    profile = await profile_object(source.executor, OBJ)
    suggestions = suggest_all(profile)
    keys = {s.key for s in suggestions}
    by_key = {s.key: s for s in suggestions}
    assert len(keys) == len(suggestions)

    for s in suggestions:
        assert set(s.rule_config) <= CONTRACT_KEYS[s.rule_type] | {"max_failure_percent"}
        assert s.key == f"{s.column}:{s.rule_type}"
        assert s.severity == ("error" if s.rule_type in ("not_null", "unique") else "warning")
        assert s.reason

    assert {"id:not_null", "id:unique", "id:range_check"} <= keys
    assert by_key["id:range_check"].rule_config == {"min": 1, "max": N, "inclusive": True}
    assert "qty:not_null" not in keys and "qty:unique" not in keys
    qty = [v for v in values("qty") if v is not None]
    assert by_key["qty:range_check"].rule_config == {
        "min": min(qty),
        "max": max(qty),
        "inclusive": True,
    }
    # Floats are never proposed as unique, even when all their values differ.
    assert len(set(values("score"))) == N and "score:unique" not in keys
    assert "score:not_null" in keys
    # Low-cardinality status: a set, not unique.
    assert by_key["status:value_in_set"].rule_config == {
        "allowed_values": sorted(set(values("status"))),
        "case_sensitive": True,
    }
    assert "status:unique" not in keys and "status:not_null" in keys
    # Codes follow one shape; emails one format (then no pattern_match).
    assert by_key["code:pattern_match"].rule_config["pattern"] == "^[A-Z]{3}-[0-9]{4}$"
    assert "max_failure_percent" not in by_key["code:pattern_match"].rule_config
    assert "code:format_valid" not in keys
    email = by_key["email:format_valid"].rule_config
    emails = [v for v in values("email") if v is not None]
    bad = sum(not re.search(FORMATS["email"], v) for v in emails)
    assert email["format"] == "email"
    assert (
        email["max_failure_percent"]
        >= bad / len(emails) * 100
        > email["max_failure_percent"] - 0.01
    )
    assert "email:pattern_match" not in keys and "email:not_null" not in keys
    assert "note:pattern_match" not in keys and "note:format_valid" not in keys
    assert not any(k.startswith("created_at:range") for k in keys)
    # The weird column: few integers, no NULL, 600 rows → a set of its values.
    assert by_key[f"{WEIRD}:value_in_set"].rule_config["allowed_values"] == sorted(
        str(v) for v in set(values(WEIRD))
    )


EDGE_SQL = """
CREATE SCHEMA e;
CREATE TABLE e.t (k integer, flag boolean, doc jsonb, empty_text text, const numeric);
INSERT INTO e.t SELECT g, g % 2 = 0, jsonb_build_object('a', g % 3), NULL, 7
    FROM generate_series(1, 30) g;
CREATE TABLE e.empty (k integer, s text, ts timestamp);
"""


async def test_empty_tables_constant_and_other_columns(database_server_url: str) -> None:
    async with scratch_database(database_server_url, EDGE_SQL, prefix="prof") as url:
        executor = PostgresExecutor(postgres_connection(url), statement_timeout_ms=30_000)
        try:
            cols = {"k": "integer", "flag": "boolean", "doc": "jsonb", "empty_text": "text"}
            obj = CatalogObject(
                ref="s.e.t", urn="u", source_name="s", source_type="postgres", schema="e",
                name="t", columns={**cols, "const": "numeric"},
            )  # fmt: skip
            prof = by_name(await profile_object(executor, obj, sample_rows=1000))
            assert prof["flag"].family == "other" and prof["flag"].distinct_count == 2
            assert {v["value"]: v["count"] for v in prof["flag"].most_common_values} == {
                "true": 15,
                "false": 15,
            }
            assert prof["doc"].distinct_count == 3
            empty_text = prof["empty_text"]
            assert empty_text.null_count == 30 and empty_text.completeness_score == 0.0
            assert empty_text.uniqueness_score is None and empty_text.detected_patterns == []
            assert empty_text.min_length is None and empty_text.validity_score is None
            const = prof["const"]
            assert const.histogram == [{"low": 7.0, "high": 7.0, "count": 30}]
            assert const.std_dev == 0.0 and const.median_value == 7.0
            by_key = {
                s.key: s for s in suggest_all(ObjectProfile(30, False, 30, 100.0, 0, [const]))
            }
            assert by_key["const:range_check"].rule_config == {
                "min": 7,
                "max": 7,
                "inclusive": True,
            }
            assert "const:unique" not in by_key

            empty = CatalogObject(
                ref="s.e.empty", urn="u", source_name="s", source_type="postgres", schema="e",
                name="empty", columns={"k": "integer", "s": "text", "ts": "timestamp"},
            )  # fmt: skip
            profile = await profile_object(executor, empty, sample_rows=10)
            assert profile.row_count == 0 and not profile.sampled
            for c in profile.columns:
                assert c.total_count == 0 and c.completeness_score is None
                assert c.most_common_values == [] and c.histogram == []
                assert c.mean_value is None and c.earliest is None
            assert suggest_all(profile) == []
        finally:
            await executor.close()

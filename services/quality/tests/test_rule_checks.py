"""Every rule type evaluated on a real PostgreSQL source: it passes on clean rows and fails on
rows spoiled for it, with failure counts and measured values equal to an independent Python
computation over the same rows; a broken rule is 'error' alone; the shared part is one
statement; samples show the failing rows and duplicated values."""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from dcconnectors import registry
from dcconnectors.postgres.executor import PostgresExecutor
from devstack.databases import SourceDatabases
from devstack.urls import postgres_connection
from quality_service.application.check_engine import evaluate
from quality_service.application.ports import CatalogObject
from quality_service.domain.quality_rules import Rule, validate
from quality_service.domain.query import Query
from quality_service.domain.rule_types.base import CheckOutcome, RuleSpec

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
N = 400
STATUSES = ["new", "paid", "shipped"]

PG = registry.dialect("postgres")
COLUMNS = {
    "id": "bigint",
    "code": "text",
    "status": "text",
    "name": "character varying(40)",
    "amount": "numeric(12,2)",
    "score": "double precision",
    "email": "text",
    "raw": "text",
    "created_at": "timestamp with time zone",
    "ordered_at": "timestamp without time zone",
    "shipped_at": "timestamp without time zone",
    "customer_id": "bigint",
}
ORDER = list(COLUMNS)
TABLE_SQL = ", ".join(f"{c} {t}" for c, t in COLUMNS.items())
SETUP = f"""
CREATE SCHEMA shop;
CREATE TABLE shop.good ({TABLE_SQL});
CREATE TABLE shop.bad ({TABLE_SQL});
CREATE TABLE shop.customers (id bigint PRIMARY KEY);
INSERT INTO shop.customers SELECT generate_series(1, 50);
CREATE TABLE shop.tiny (email text);
INSERT INTO shop.tiny VALUES ('a'), ('a'), ('a'), ('b'), ('b'), ('c'), (NULL), (NULL);
"""
CUSTOMERS = set(range(1, 51))

Row = dict[str, Any]


def clean_row(rng: random.Random, i: int) -> Row:
    ordered = datetime(2026, 4, 1) + timedelta(minutes=rng.randint(0, 40000))
    return {
        "id": i,
        "code": "".join(rng.choice("ABCDEFGH") for _ in range(3)) + f"-{rng.randint(0, 9999):04d}",
        "status": rng.choice(STATUSES),
        "name": "n" * rng.randint(1, 20),
        "amount": Decimal(rng.randint(0, 100000)) / 100,
        "score": rng.gauss(100, 15),
        "email": f"user{i}@example.com",
        "raw": str(rng.randint(-5000, 5000)),
        "created_at": NOW - timedelta(seconds=rng.randint(60, 7200)),
        "ordered_at": ordered,
        "shipped_at": ordered + timedelta(hours=rng.randint(0, 72)),
        "customer_id": rng.randint(1, 50),
    }


SPOILERS: list[Callable[[random.Random, Row], None]] = [
    lambda rng, r: r.update(name=rng.choice([None, "", "   ", "x" * 30])),
    lambda rng, r: r.update(status=rng.choice(["Paid", "lost", "NEW"])),
    lambda rng, r: r.update(code=rng.choice(["abc-1234", "ABC1234", "ABCD-123", "it's"])),
    lambda rng, r: r.update(amount=rng.choice([Decimal("-1.50"), Decimal("1000.01"), None])),
    lambda rng, r: r.update(email=rng.choice(["not-an-email", "a@b", "x y@z.com", None])),
    lambda rng, r: r.update(raw=rng.choice(["x12", "1.5", "", " 7 ", "+3"])),
    lambda rng, r: r.update(shipped_at=r["ordered_at"] - timedelta(hours=rng.randint(1, 5))),
    lambda rng, r: r.update(shipped_at=None),
    lambda rng, r: r.update(customer_id=rng.choice([999, 1000, None])),
    lambda rng, r: r.update(score=rng.choice([1e4, -1e4, 5e3])),
]


def generate(seed: int, bad: bool) -> list[Row]:
    rng = random.Random(seed)
    rows = [clean_row(rng, i) for i in range(1, N + 1)]
    if not bad:
        return rows
    for r in rows:
        r["created_at"] -= timedelta(days=10)  # stale: freshness and recency fail
        r["score"] += 40  # shifted distribution
        if rng.random() < 0.4:
            rng.choice(SPOILERS)(rng, r)
    # Same id, other values (unique fails, duplicate rows do not).
    for r in rng.sample(rows, 12):
        r["id"] = rng.randint(1, 30)
    # Exact copies (both fail), some twice.
    copies = [dict(r) for r in rng.sample(rows, 15)]
    copies += [dict(r) for r in copies[:4]]
    return rows + copies


@dataclass
class Source:
    url: str
    good: list[Row]
    bad: list[Row]
    executor: PostgresExecutor

    def obj(self, table: str) -> CatalogObject:
        return CatalogObject(
            ref=f"shop.shop.{table}",
            urn=f"urn:{table}",
            source_name="shop",
            source_type="postgres",
            schema="shop",
            name=table,
            columns=dict(COLUMNS),
        )

    def rows(self, table: str) -> list[Row]:
        return self.good if table == "good" else self.bad

    @property
    def references(self) -> dict[str, CatalogObject]:
        customers = CatalogObject(
            ref="shop.shop.customers",
            urn="urn:customers",
            source_name="shop",
            source_type="postgres",
            schema="shop",
            name="customers",
            columns={"id": "bigint"},
        )
        return {"shop.shop.customers": customers}


async def build_tables(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SETUP)
        for table, rows in (("good", generate(11, bad=False)), ("bad", generate(12, bad=True))):
            await conn.copy_records_to_table(
                table,
                schema_name="shop",
                columns=ORDER,
                records=[tuple(r[c] for c in ORDER) for r in rows],
            )
    finally:
        await conn.close()


@pytest.fixture
async def source(source_databases: SourceDatabases) -> AsyncIterator[Source]:
    """The checked tables, built once per session (these tests only read them)."""
    url = await source_databases.shared("rule_checks", build_tables)
    good, bad = generate(11, bad=False), generate(12, bad=True)  # seeded: the rows built
    executor = PostgresExecutor(postgres_connection(url), statement_timeout_ms=30_000)
    try:
        yield Source(url, good, bad, executor)
    finally:
        await executor.close()


# --- the independent side ---------------------------------------------------------------------


def _dups(keys: list[tuple[Any, ...]]) -> tuple[int, int]:
    """(rows involved in a duplicate, extra copies)."""
    counts = Counter(keys)
    return sum(n for n in counts.values() if n > 1), sum(n - 1 for n in counts.values())


def _quartiles(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=4, method="inclusive")  # = percentile_cont
    return q[0], q[2]


def _is_email(v: str) -> bool:
    local, at, domain = v.partition("@")
    return bool(local and at and "." in domain.strip(".") and " " not in v and "@" not in domain)


def _is_int(v: str) -> bool:
    try:
        int(v.strip())
    except ValueError:
        return False
    return True


@dataclass
class Case:
    rule_type: str
    column: str
    config: dict[str, Any]
    # rows → (failure_count or None, measured value)
    expect: Callable[[list[Row]], tuple[int | None, float | None]]
    severity: str = "error"


def _pct(count: int, rows: list[Row]) -> tuple[int, float]:
    return count, count / len(rows) * 100


def _vals(rows: list[Row], col: str) -> list[Any]:
    return [r[col] for r in rows if r[col] is not None]


def _outliers_iqr(rows: list[Row], k: float) -> tuple[int, float]:
    values = [float(v) for v in _vals(rows, "score")]
    q1, q3 = _quartiles(values)
    lo, hi = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    return _pct(sum(1 for v in values if v < lo or v > hi), rows)


def _outliers_z(rows: list[Row], k: float) -> tuple[int, float]:
    values = [float(v) for v in _vals(rows, "score")]
    m, sd = statistics.fmean(values), statistics.stdev(values)
    return _pct(sum(1 for v in values if abs(v - m) > k * sd), rows)


CODE = r"^[A-Z]{3}-[0-9]{4}$"
CASES: dict[str, Case] = {
    "not_null": Case(
        "not_null", "name", {}, lambda rs: _pct(sum(r["name"] is None for r in rs), rs)
    ),
    "no_empty_strings": Case(
        "no_empty_strings",
        "name",
        {},
        lambda rs: _pct(sum(1 for v in _vals(rs, "name") if v.strip(" ") == ""), rs),
    ),
    "completeness_threshold": Case(
        "completeness_threshold",
        "name",
        {"threshold_percent": 99, "allow_empty": False},
        lambda rs: (
            len(rs) - (ok := sum(1 for v in _vals(rs, "name") if v.strip(" "))),
            ok / len(rs) * 100,
        ),
    ),
    "value_in_set": Case(
        "value_in_set",
        "status",
        {"allowed_values": STATUSES, "case_sensitive": True},
        lambda rs: _pct(sum(1 for v in _vals(rs, "status") if v not in STATUSES), rs),
    ),
    "value_in_set_ci": Case(
        "value_in_set",
        "status",
        {"allowed_values": ["NEW", "Paid", "shipped"], "case_sensitive": False},
        lambda rs: _pct(sum(1 for v in _vals(rs, "status") if v.lower() not in STATUSES), rs),
        severity="warning",
    ),
    "pattern_match": Case(
        "pattern_match",
        "code",
        {"pattern": CODE},
        lambda rs: _pct(sum(1 for v in _vals(rs, "code") if not re.search(CODE, v)), rs),
    ),
    "format_valid": Case(
        "format_valid",
        "email",
        {"format": "email"},
        lambda rs: _pct(sum(1 for v in _vals(rs, "email") if not _is_email(v)), rs),
    ),
    "type_valid": Case(
        "type_valid",
        "raw",
        {"type": "integer"},
        lambda rs: _pct(sum(1 for v in _vals(rs, "raw") if not _is_int(v)), rs),
    ),
    "range_check": Case(
        "range_check",
        "amount",
        {"min": 0, "max": 1000},
        lambda rs: _pct(sum(1 for v in _vals(rs, "amount") if not 0 <= v <= 1000), rs),
    ),
    "length_check": Case(
        "length_check",
        "name",
        {"min_length": 1, "max_length": 20},
        lambda rs: _pct(sum(1 for v in _vals(rs, "name") if not 1 <= len(v) <= 20), rs),
    ),
    "unique": Case(
        "unique",
        "id",
        {},
        lambda rs: _pct(_dups([(v,) for v in _vals(rs, "id")])[0], rs),
    ),
    "unique_combination": Case(
        "unique_combination",
        "",
        {"columns": ["id", "code"]},
        lambda rs: _pct(_dups([(r["id"], r["code"]) for r in rs if r["code"] is not None])[0], rs),
    ),
    "duplicate_threshold": Case(
        "duplicate_threshold",
        "",
        {"max_duplicate_percent": 1},
        lambda rs: _pct(_dups([tuple(r[c] for c in ORDER) for r in rs])[1], rs),
    ),
    "referential_integrity": Case(
        "referential_integrity",
        "customer_id",
        {"reference": "shop.shop.customers", "reference_column": "id"},
        lambda rs: _pct(sum(1 for v in _vals(rs, "customer_id") if v not in CUSTOMERS), rs),
    ),
    "cross_field_validation": Case(
        "cross_field_validation",
        "",
        {"left": "shipped_at", "operator": ">=", "right": "ordered_at"},
        lambda rs: _pct(
            sum(
                1
                for r in rs
                if r["shipped_at"] is not None
                and r["ordered_at"] is not None
                and not r["shipped_at"] >= r["ordered_at"]
            ),
            rs,
        ),
    ),
    "freshness": Case(
        "freshness",
        "created_at",
        {"max_age": "6h"},
        lambda rs: (None, (NOW - max(r["created_at"] for r in rs)).total_seconds()),
    ),
    "recency_check": Case(
        "recency_check",
        "created_at",
        {"window": "24h", "min_rows": 10},
        lambda rs: (None, float(sum(r["created_at"] >= NOW - timedelta(hours=24) for r in rs))),
        severity="info",
    ),
    "distribution_check": Case(
        "distribution_check",
        "score",
        {"mean": 100.0, "tolerance": 0.15},
        lambda rs: (None, statistics.fmean(_vals(rs, "score"))),
    ),
    "outlier_detection": Case(
        "outlier_detection",
        "score",
        {"method": "iqr", "max_outlier_percent": 1.0},
        lambda rs: _outliers_iqr(rs, 1.5),
    ),
    "outlier_detection_z": Case(
        "outlier_detection",
        "score",
        {"method": "z_score", "max_outlier_percent": 0.5},
        lambda rs: _outliers_z(rs, 3.0),
    ),
    "statistical_threshold": Case(
        "statistical_threshold",
        "score",
        {"statistic": "median", "min": 80, "max": 120},
        lambda rs: (None, statistics.median(_vals(rs, "score"))),
    ),
    "statistical_threshold_max": Case(
        "statistical_threshold",
        "amount",
        {"statistic": "max", "max": 1000},
        lambda rs: (None, float(max(_vals(rs, "amount")))),
    ),
    "statistical_threshold_distinct": Case(
        "statistical_threshold",
        "status",
        {"statistic": "distinct_count", "max": 3},
        lambda rs: (None, float(len(set(_vals(rs, "status"))))),
    ),
    "custom_sql": Case(
        "custom_sql",
        "",
        {"sql": "SELECT id, amount FROM shop.{table} WHERE amount < 0;"},
        lambda rs: (n := sum(1 for v in _vals(rs, "amount") if v < 0), float(n)),
    ),
}


def _spec(case: Case, table: str, source: Source) -> RuleSpec:
    config = dict(case.config)
    if "sql" in config:
        config["sql"] = config["sql"].format(table=table)
    return validate(
        case.rule_type,
        case.column,
        config,
        columns=COLUMNS,
        dialect=PG,
        references=source.references,
        source_name="shop",
        severity=case.severity,
    )


def _rules(source: Source, table: str, names: list[str]) -> list[Rule]:
    return [Rule(i + 1, name, _spec(CASES[name], table, source)) for i, name in enumerate(names)]


def test_every_rule_type_has_a_case() -> None:
    from quality_service.domain.rule_types import RULE_TYPES

    assert {c.rule_type for c in CASES.values()} == set(RULE_TYPES)


@pytest.mark.parametrize("table", ["good", "bad"])
async def test_every_rule_passes_on_clean_rows_and_fails_on_spoiled_ones(
    source: Source, table: str
) -> None:
    names = list(CASES)
    rules = _rules(source, table, names)
    outcomes = await evaluate(
        source.executor, source.obj(table), rules, references=source.references, now=NOW
    )
    rows = source.rows(table)
    problems = []
    for name, rule, outcome in zip(names, rules, outcomes, strict=True):
        case = CASES[name]
        assert outcome.rule_id == rule.id
        failed_status = "failed" if case.severity in ("error", "critical") else "warning"
        want_status = "passed" if table == "good" else failed_status
        count, measured = case.expect(rows)
        got = (outcome.status, outcome.failure_count, outcome.measured_value)
        ok = (
            outcome.status == want_status
            and (count is None or outcome.failure_count == count)
            and outcome.measured_value == pytest.approx(measured, rel=1e-9, abs=1e-9)
        )
        if not ok:
            problems.append(
                f"{name}: got {got} {outcome.error}, want {want_status} {count} {measured}"
            )
        if table == "bad" and count is not None:
            assert count > 0, f"{name}: the spoiled rows must contain failures"
        if outcome.status == "passed":
            assert outcome.samples == []
        assert outcome.total_count == len(rows)
        assert outcome.expected_value
    assert not problems, "\n".join(problems)


async def test_samples_show_failing_rows_and_duplicated_values(source: Source) -> None:
    names = [
        "value_in_set",
        "unique",
        "duplicate_threshold",
        "referential_integrity",
        "cross_field_validation",
        "custom_sql",
        "outlier_detection",
        "freshness",
    ]
    rules = _rules(source, "bad", names)
    outcomes = await evaluate(
        source.executor,
        source.obj("bad"),
        rules,
        references=source.references,
        sample_limit=5,
        now=NOW,
    )
    by = dict(zip(names, outcomes, strict=True))
    rows = source.bad

    bad_status = by["value_in_set"].samples
    assert 1 <= len(bad_status) <= 5
    for s in bad_status:
        assert set(s["values"]) == {"status"} and s["values"]["status"] not in STATUSES
        assert "occurrences" not in s

    id_counts = Counter(_vals(rows, "id"))
    for s in by["unique"].samples:
        assert s["occurrences"] == id_counts[s["values"]["id"]] > 1
    assert by["unique"].details["duplicated_values"] == sum(n > 1 for n in id_counts.values())

    row_counts = Counter(tuple(r[c] for c in ORDER) for r in rows)
    dup = by["duplicate_threshold"].samples
    assert dup and max(s["occurrences"] for s in dup) == max(row_counts.values())
    assert set(dup[0]["values"]) == set(ORDER)
    assert isinstance(dup[0]["values"]["created_at"], str)  # json-safe (isoformat)

    for s in by["referential_integrity"].samples:
        assert s["values"]["customer_id"] not in CUSTOMERS
    for s in by["cross_field_validation"].samples:
        v = s["values"]
        assert datetime.fromisoformat(v["shipped_at"]) < datetime.fromisoformat(v["ordered_at"])
    custom = by["custom_sql"].samples
    assert custom and all(Decimal(str(s["values"]["amount"])) < 0 for s in custom)
    assert by["outlier_detection"].samples
    lo, hi = (
        by["outlier_detection"].details["lower_bound"],
        by["outlier_detection"].details["upper_bound"],
    )
    assert all(not lo <= s["values"]["score"] <= hi for s in by["outlier_detection"].samples)
    assert by["freshness"].samples == []  # about the whole object: no rows to show


class CountingExecutor:
    def __init__(self, inner: PostgresExecutor) -> None:
        self.inner = inner
        self.statements: list[str] = []
        self.dialect = inner.dialect

    def table_path(self, schema: str, name: str) -> tuple[str, ...]:
        return self.inner.table_path(schema, name)

    async def fetch(self, query: Query) -> list[dict[str, Any]]:
        self.statements.append(query.sql)
        return await self.inner.fetch(query)

    async def close(self) -> None:
        pass


async def test_the_shared_rules_cost_one_statement(source: Source) -> None:
    shared = [
        "not_null",
        "no_empty_strings",
        "completeness_threshold",
        "value_in_set",
        "value_in_set_ci",
        "pattern_match",
        "format_valid",
        "type_valid",
        "range_check",
        "length_check",
        "cross_field_validation",
        "freshness",
        "recency_check",
        "distribution_check",
        "statistical_threshold",
        "statistical_threshold_max",
        "statistical_threshold_distinct",
    ]
    counting = CountingExecutor(source.executor)
    outcomes = await evaluate(counting, source.obj("good"), _rules(source, "good", shared), now=NOW)
    assert [o.status for o in outcomes] == ["passed"] * len(shared)
    assert len(counting.statements) == 1

    # Own-pass rules add one statement per kind, however many rules of that kind.
    counting.statements.clear()
    more = [
        *shared,
        "unique",
        "unique_combination",
        "duplicate_threshold",
        "outlier_detection",
        "outlier_detection_z",
        "referential_integrity",
        "custom_sql",
    ]
    outcomes = await evaluate(
        counting,
        source.obj("good"),
        _rules(source, "good", more),
        references=source.references,
        now=NOW,
    )
    assert [o.status for o in outcomes] == ["passed"] * len(more)
    assert len(counting.statements) == 5


async def test_a_broken_rule_is_an_error_for_itself_only(source: Source) -> None:
    names = ["not_null", "value_in_set", "pattern_match", "unique", "custom_sql", "range_check"]
    rules = _rules(source, "bad", names)
    # Valid RE2, but PostgreSQL's regex engine rejects named groups at run time.
    broken_pattern = validate(
        "pattern_match", "code", {"pattern": "^(?P<x>[A-Z]+)$"}, columns=COLUMNS, dialect=PG
    )
    broken_sql = validate(
        "custom_sql",
        "",
        {"sql": "SELECT id FROM shop.bad WHERE 1 / (id - id) = 1"},
        columns=COLUMNS,
        dialect=PG,
    )
    rules += [Rule(100, "bad regex", broken_pattern), Rule(101, "bad sql", broken_sql)]
    # Interleave the broken ones with the others in both batches.
    rules = [rules[6], *rules[:3], rules[7], *rules[3:6]]
    counting = CountingExecutor(source.executor)
    outcomes = await evaluate(counting, source.obj("bad"), rules, now=NOW, sample_limit=0)
    by_id = {o.rule_id: o for o in outcomes}
    assert by_id[100].status == "error" and "regular expression" in by_id[100].error
    assert by_id[101].status == "error" and "division by zero" in by_id[101].error
    for i, name in enumerate(names):
        o = by_id[i + 1]
        count, _ = CASES[name].expect(source.bad)
        assert (o.status, o.failure_count, o.error) == ("failed", count, ""), name
    assert len(counting.statements) > 2  # the split retried


async def test_a_missing_reference_is_skipped(source: Source) -> None:
    rules = _rules(source, "good", ["referential_integrity", "not_null"])
    outcomes: list[CheckOutcome] = await evaluate(
        source.executor, source.obj("good"), rules, references={}, now=NOW
    )
    assert [o.status for o in outcomes] == ["skipped", "passed"]
    assert "shop.shop.customers" in outcomes[0].error


async def test_naive_timestamps_and_numeric_columns(source: Source) -> None:
    """Timestamps without time zone are read as UTC; numeric columns go through the float
    aggregates (median, quartiles) the same as double precision ones."""
    specs = [
        validate("freshness", "ordered_at", {"max_age": "1d"}, columns=COLUMNS, dialect=PG),
        validate("recency_check", "ordered_at", {"window": "10d", "min_rows": 1},
                 columns=COLUMNS, dialect=PG),
        validate("statistical_threshold", "amount", {"statistic": "median", "max": 1e9},
                 columns=COLUMNS, dialect=PG),
        validate("outlier_detection", "amount", {"method": "iqr", "sensitivity": 0.5},
                 columns=COLUMNS, dialect=PG),
    ]  # fmt: skip
    rules = [Rule(i, "", s) for i, s in enumerate(specs)]
    fresh, recent, median, outliers = await evaluate(
        source.executor, source.obj("bad"), rules, now=NOW
    )
    rows = source.bad
    newest = max(r["ordered_at"] for r in rows).replace(tzinfo=UTC)
    assert fresh.measured_value == (NOW - newest).total_seconds()
    cutoff = (NOW - timedelta(days=10)).replace(tzinfo=None)
    assert recent.measured_value == sum(r["ordered_at"] >= cutoff for r in rows)
    amounts = [float(v) for v in _vals(rows, "amount")]
    assert median.measured_value == pytest.approx(statistics.median(amounts))
    q1, q3 = _quartiles(amounts)
    lo, hi = q1 - 0.5 * (q3 - q1), q3 + 0.5 * (q3 - q1)
    assert outliers.failure_count == sum(1 for v in amounts if v < lo or v > hi)
    assert outliers.details["lower_bound"] == pytest.approx(lo)


async def test_duplicate_rows_versus_duplicated_values(source: Source) -> None:
    """The worked example of docs/quality-rules.md (plus two NULLs, which `unique` ignores and
    `duplicate_threshold` groups like any value)."""
    tiny = CatalogObject(
        ref="shop.shop.tiny", urn="urn:tiny", source_name="shop", source_type="postgres",
        schema="shop", name="tiny", columns={"email": "text"},
    )  # fmt: skip
    specs = [
        validate("unique", "email", {}, columns=tiny.columns, dialect=PG),
        validate("duplicate_threshold", "email", {}, columns=tiny.columns, dialect=PG),
    ]
    unique, dups = await evaluate(
        source.executor, tiny, [Rule(1, "", specs[0]), Rule(2, "", specs[1])], now=NOW
    )
    assert (unique.failure_count, unique.total_count) == (5, 8)
    assert unique.measured_value == pytest.approx(5 / 8 * 100)
    assert sorted((s["values"]["email"], s["occurrences"]) for s in unique.samples) == [
        ("a", 3),
        ("b", 2),
    ]
    assert dups.failure_count == 4  # two extra 'a', one extra 'b', one extra NULL
    assert dups.details == {"duplicate_groups": 3, "rows_in_duplicates": 7}

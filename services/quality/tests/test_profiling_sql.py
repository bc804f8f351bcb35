"""Profiling SQL without a database: Databricks statements use backticks and :named parameters,
identifiers with quote characters are quoted safely on both engines, values are parameters;
the profile of a Databricks object is shaped from warehouse-like rows; value shapes and the
well-known formats behave as documented."""

from __future__ import annotations

import re
from typing import Any

import pytest
import re2
import sqlglot
from sqlglot import exp

from dcconnectors import registry
from dcconnectors.dialect import Dialect
from quality_service.application.ports import CatalogObject
from quality_service.application.profiling import profile_object
from quality_service.domain.profiling import (
    FORMAT_GATES,
    FORMATS,
    ProfileSql,
    Sample,
    shape_regex,
)
from quality_service.domain.query import Query

PG, DBX = registry.dialect("postgres"), registry.dialect("databricks")
EVIL = 'x"; DROP TABLE t; --`y'
COLUMNS = {"id": "bigint", "name": "string", "ts": "timestamp", EVIL: "int", "d": "date"}
# The same columns in PostgreSQL's type names.
PG_COLUMNS = {
    "id": "bigint",
    "name": "text",
    "ts": "timestamp with time zone",
    EVIL: "integer",
    "d": "date",
}
TYPES = {"postgres": PG_COLUMNS, "databricks": COLUMNS}


def _queries(sql: ProfileSql) -> list[Query]:
    return [
        sql.scalar(list(COLUMNS)),
        sql.top_values("name", 10),
        sql.histogram(EVIL, 1.5, 9.5),
        sql.patterns("name"),
    ]


@pytest.mark.parametrize("sample", [None, Sample(12.5, 42)])
def test_databricks_sql_uses_backticks_and_named_parameters(sample: Sample | None) -> None:
    sql = ProfileSql(DBX, ("main", "sales", "orders"), COLUMNS, sample)
    for q in _queries(sql):
        assert isinstance(q.params, dict)
        assert "$" not in q.sql and '"' not in q.sql.replace(EVIL.replace("`", "``"), "")
        assert "FROM `main`.`sales`.`orders`" in q.sql
        # Every placeholder is bound and every parameter is used.
        assert set(re.findall(r":(p\d+)\b", q.sql)) == set(q.params)
        parsed = sqlglot.parse(q.sql, read="databricks")
        assert len(parsed) == 1
        if sample:
            assert "TABLESAMPLE (12.500000 PERCENT) REPEATABLE (42)" in q.sql
    scalar = _queries(sql)[0]
    for regex in FORMATS.values():
        assert regex in scalar.params.values() and regex not in scalar.sql
    assert "percentile(CAST(`id` AS DOUBLE), array(0.25, 0.5, 0.75))" in scalar.sql
    # The format's LIKE gate first, then its regex.
    assert "count_if(`name` LIKE :p1 AND `name` RLIKE :p2)" in scalar.sql
    assert scalar.params["p1"] == FORMAT_GATES["email"] and scalar.params["p2"] == FORMATS["email"]
    top = _queries(sql)[1]
    assert "count(v) AS distinct_values" in top.sql and "GROUP BY `name`" in top.sql
    assert (
        "translate(v, :p" in _queries(sql)[3].sql
        and "GROUP BY CAST(`name` AS STRING)" in _queries(sql)[3].sql
    )


@pytest.mark.parametrize(
    ("dialect", "quoted"),
    [("postgres", '"x""; DROP TABLE t; --`y"'), ("databricks", '`x"; DROP TABLE t; --``y`')],
)
def test_identifiers_with_quotes_are_quoted(dialect: str, quoted: str) -> None:
    sql = ProfileSql(registry.dialect(dialect), ("s", 'we"ird`t'), TYPES[dialect], Sample(10.0, 7))
    read = "postgres" if dialect == "postgres" else "databricks"
    for q in _queries(sql):
        # (sqlglot cannot read a cast placeholder inside TABLESAMPLE; the casts don't matter here)
        parsed = sqlglot.parse(re.sub(r"(\$\d+)::\w+", r"\1", q.sql), read=read)
        assert len(parsed) == 1  # the name did not end the statement
        assert parsed[0] is not None
        names = {c.name for c in parsed[0].find_all(exp.Column)}
        assert names <= {*COLUMNS, "n", "k", "shape", "value", "v", "distinct_values"}
    hist = sql.histogram(EVIL, 0.0, 1.0)
    assert quoted in hist.sql
    table = '"s"."we""ird`t"' if dialect == "postgres" else '`s`.`we"ird``t`'
    assert f"FROM {table}" in hist.sql


def test_postgres_sql_binds_values() -> None:
    sql = ProfileSql(PG, ("s", "t"), PG_COLUMNS, Sample(12.5, 42))
    hist = sql.histogram("id", 1.5, 9.5)
    assert "TABLESAMPLE BERNOULLI ($1::float4) REPEATABLE ($2::float8)" in hist.sql
    assert hist.params == [12.5, 42.0, 1.5, 9.5, 10]
    top = sql.top_values("name", 7)
    assert top.params[-1] == 7 and "LIMIT $3::int8" in top.sql
    scalar = sql.scalar(list(COLUMNS))
    assert [p for p in scalar.params if p in FORMATS.values()] == list(FORMATS.values())
    assert all(regex not in scalar.sql for regex in FORMATS.values())


class FakeWarehouse:
    """A Databricks executor answering like a warehouse would (Spark's percentile returns an
    array, timestamps come back as datetimes)."""

    dialect: Dialect = DBX

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.queries: list[Query] = []

    def table_path(self, schema: str, name: str) -> tuple[str, ...]:
        return ("main", schema, name)

    async def fetch(self, query: Query) -> list[dict[str, Any]]:
        from datetime import UTC, datetime

        self.queries.append(query)
        if query.sql.startswith("SELECT count(*) AS n FROM"):
            return [{"n": self.rows}]
        if query.aliases:
            values: dict[str, Any] = {
                "total": 100, "non_null": 90, "min": 1.0, "max": 91.0,
                "mean": 46.0, "std_dev": 26.1, "variance": 681.21,
                "percentiles": [23.5, 46.0, 68.5],
                "min_length": 3, "max_length": 8, "avg_length": 5.5,
                "earliest": datetime(2026, 1, 1, tzinfo=UTC),
                "latest": datetime(2026, 2, 1, tzinfo=UTC),
            }  # fmt: skip
            return [
                {
                    a: (60 if stat.startswith("fmt_") else values[stat])
                    for a, (stat, _) in query.aliases.items()
                }
            ]
        if " AS value" in query.sql:
            return [
                {"value": "b", "n": 5, "distinct_values": 90},
                {"value": None, "n": 10, "distinct_values": 90},
                {"value": "a", "n": 5, "distinct_values": 90},
            ]
        if " AS bucket" in query.sql:
            return [{"bucket": 1, "n": 40}, {"bucket": 10, "n": 50}]
        return [{"shape": "Aa.99", "n": 88}]

    async def close(self) -> None:
        pass


async def test_databricks_profile_is_shaped_from_warehouse_rows() -> None:
    obj = CatalogObject(
        ref="dbx.sales.orders", urn="u", source_name="dbx", source_type="databricks",
        schema="sales", name="orders",
        columns={"id": "bigint", "name": "string", "ts": "timestamp"},
    )  # fmt: skip
    wh = FakeWarehouse(rows=1000)
    steps: list[tuple[int, int]] = []
    profile = await profile_object(
        wh, obj, sample_rows=100, progress=lambda d, t: steps.append((d, t))
    )
    assert profile.sampled and profile.row_count == 1000 and profile.sample_size == 100
    assert profile.sample_percentage == pytest.approx(10.0)
    assert steps[-1] == (len(wh.queries), len(wh.queries)) == (7, 7)
    assert all("TABLESAMPLE (10.000000 PERCENT)" in q.sql for q in wh.queries[1:])
    seeds = {re.search(r"REPEATABLE \((\d+)\)", q.sql).group(1) for q in wh.queries[1:]}  # type: ignore[union-attr]
    assert len(seeds) == 1
    ident, name, ts = profile.columns
    assert (ident.percentile_25, ident.median_value, ident.percentile_75) == (23.5, 46.0, 68.5)
    assert ident.completeness_score == 90.0 and ident.uniqueness_score == 100.0
    assert [b["count"] for b in ident.histogram] == [40, *[0] * 8, 50]
    assert ident.histogram[0] == {"low": 1.0, "high": 10.0, "count": 40}
    assert [v["value"] for v in name.most_common_values] == [None, "a", "b"]  # count, then value
    assert name.detected_patterns == [
        {
            "pattern": "^[A-Z][a-z]\\.[0-9]{2}$",
            "match_count": 88,
            "percentage": pytest.approx(88 / 90 * 100),
        }
    ]
    assert name.formats == dict.fromkeys(FORMATS, 60)
    assert name.validity_score == pytest.approx(60 / 90 * 100)
    assert ts.earliest == "2026-01-01T00:00:00+00:00" and ts.latest == "2026-02-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("value", "regex"),
    [
        ("ABC-1234", "^[A-Z]{3}-[0-9]{4}$"),
        ("a.b(c)", "^[a-z]\\.[a-z]\\([a-z]\\)$"),
        ("Zz 9/x+", "^[A-Z][a-z] [0-9]\\/[a-z]\\+$"),
        ("2026-05-01", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    ],
)
def test_shape_regex(value: str, regex: str) -> None:
    shape = re.sub("[0-9]", "9", re.sub("[a-z]", "a", re.sub("[A-Z]", "A", value)))
    assert shape_regex(shape) == regex
    assert re.search(regex, value) and re2.search(regex, value)


GOOD = {
    "email": ["a.b+c@example.co.uk", "x_1@foo-bar.io"],
    "uuid": ["123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000"],
    "url": ["https://example.com/a?b=c", "http://localhost:8080"],
    "ipv4": ["192.168.0.1", "255.255.255.255", "0.0.0.0"],
    "iso_date": ["2026-05-01", "1999-12-31"],
    "e164_phone": ["+14155552671", "+442071838750"],
}
BAD = {
    "email": ["a@b", "no at.com", "a@@b.com"],
    "uuid": ["123e4567e89b12d3a456426614174000", "zzze4567-e89b-12d3-a456-426614174000"],
    "url": ["ftp//x", "example.com", "https://"],
    "ipv4": ["256.1.1.1", "1.2.3", "01.2.3.4.5"],
    "iso_date": ["2026-13-01", "2026-5-1", "26-05-01"],
    "e164_phone": ["14155552671", "+0123", "+1 415 555"],
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_formats_work_in_re_and_re2(name: str) -> None:
    for engine in (re, re2):
        for v in GOOD[name]:
            assert engine.search(FORMATS[name], v), (name, v)
        for v in BAD[name]:
            assert not engine.search(FORMATS[name], v), (name, v)


def _like(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern (only % and _, no escapes) as a Python regex."""
    body = "".join({"%": ".*", "_": "."}.get(ch, re.escape(ch)) for ch in pattern)
    return re.compile(f"^{body}$", re.DOTALL)


TRICKY = [
    "", "@", "a@b.c", "a@b.cd", "http://x", "HTTPS://x.y/z", "1.2.3.4", "1.2.3", "2026-01-01",
    "+1", "+12", "+123456789012345", "+1234567890123456", "é@ü.de", "a" * 40, "a@b.cd\n",
]  # fmt: skip


@pytest.mark.parametrize("name", list(FORMATS))
def test_format_gates_are_necessary_conditions(name: str) -> None:
    """Counting `LIKE gate AND regex` is counting `regex`: every value the regex matches, as
    PostgreSQL (re2 here) or Java (Python's re: `$` before a final line break) read it, passes
    the gate; and the gate does reject most values of other formats (else it is useless)."""
    gate = _like(FORMAT_GATES[name])
    values = [v for vs in (*GOOD.values(), *BAD.values()) for v in vs] + TRICKY
    values += [v + end for v in values for end in ("\n", "\r\n")]
    for v in values:
        if re2.search(FORMATS[name], v) or re.search(FORMATS[name], v):
            assert gate.search(v), (name, v)
    others = [v for other, vs in GOOD.items() if other != name for v in vs]
    assert sum(bool(gate.search(v)) for v in others) <= 1

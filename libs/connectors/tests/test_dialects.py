"""Each dialect's quoting, table paths, literals, parameters and type families. The SQL the
services build with these is run on real PostgreSQL in their suites; here: names that must stay
one identifier, values that must stay one literal, and each source's own type names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlglot
from sqlglot import exp

from dcconnectors import registry
from dcconnectors.types import FAMILIES, base_type

PG = registry.dialect("postgres")
DBX = registry.dialect("databricks")
# sqlglot's names for the two engines.
READ = {"postgres": "postgres", "databricks": "databricks"}

NAMES = ["orders", "Orders", "MixedCase", "a.b", 'we"ird', "tick`y", "x y", "drop; --", "é"]


@pytest.mark.parametrize("dialect", [PG, DBX], ids=lambda d: d.name)
@pytest.mark.parametrize("name", NAMES)
def test_any_name_stays_one_identifier(dialect: registry.Dialect, name: str) -> None:
    table = dialect.table(("s.x", name))
    parsed = sqlglot.parse_one(
        f"SELECT {dialect.quote(name)} FROM {table}", read=READ[dialect.name]
    )
    (column,) = parsed.find_all(exp.Column)
    assert column.name == name  # case kept, dots and quotes inside the one identifier
    source = parsed.find(exp.Table)
    assert source is not None and (source.db, source.name) == ("s.x", name)


def test_quoting_spelling() -> None:
    assert PG.quote('a"b') == '"a""b"' and PG.quote("Up.per") == '"Up.per"'
    assert DBX.quote("a`b") == "`a``b`" and DBX.quote('a"b') == '`a"b`'
    assert PG.table(("sales", "orders")) == '"sales"."orders"'
    assert DBX.table(("main", "sales", "orders")) == "`main`.`sales`.`orders`"


def test_table_paths() -> None:
    assert PG.path("sales", "orders", catalog="ignored") == ("sales", "orders")
    assert DBX.path("sales", "orders", catalog="main") == ("main", "sales", "orders")
    assert (PG.path_parts, DBX.path_parts) == (("schema", "name"), ("catalog", "schema", "name"))


@pytest.mark.parametrize("value", ["plain", "it's", "back\\slash", "new\nline", "'; DROP --"])
def test_literals_stay_one_string(value: str) -> None:
    for dialect in (PG, DBX):
        parsed = sqlglot.parse_one(f"SELECT {dialect.literal(value)}", read=READ[dialect.name])
        (projection,) = parsed.expressions  # E'..' is a ByteString to sqlglot
        assert isinstance(projection, exp.Literal | exp.ByteString), projection
        assert projection.this == value, (dialect.name, projection.this)
    assert PG.literal("it's") == "'it''s'" and PG.literal("a\\b") == "E'a\\\\b'"
    assert DBX.literal("it's") == "'it\\'s'" and DBX.literal("a\\b\n") == "'a\\\\b\\n'"


def test_parameters() -> None:
    p = PG.params()
    refs = [p("x", "text"), p(1.5, "numeric"), p([1, 2], "numeric[]"), p(date(2026, 1, 1)), p(3)]
    assert refs == ["$1::text", "$2::numeric", "$3::numeric[]", "$4", "$5"]
    assert p.bound == ["x", Decimal("1.5"), [Decimal(1), Decimal(2)], date(2026, 1, 1), 3]
    assert p("z", "bigint") == "$6::int8" and p(1.0, "double") == "$7::float8"

    d = DBX.params()
    refs = [d(date(2026, 1, 1), "date", name="start"), d(1.5, "numeric"), d("t", "timestamptz")]
    assert refs == ["CAST(:start AS DATE)", ":p2", "CAST(:p3 AS TIMESTAMP)"]
    assert d.bound == {"start": date(2026, 1, 1), "p2": 1.5, "p3": "t"}


def test_value_lists() -> None:
    p = PG.params()
    assert PG.not_in('"c"', ["a", "b"], p, "text") == 'NOT ("c" = ANY($1::text[]))'
    assert p.bound == [["a", "b"]]
    d = DBX.params()
    assert DBX.not_in("`c`", [1, 2], d, "numeric") == "`c` NOT IN (:p1, :p2)"


@pytest.mark.parametrize(
    ("data_type", "family"),
    [
        ("integer", "numeric"),
        ("bigint", "numeric"),
        ("numeric(12,2)", "numeric"),
        ("double precision", "numeric"),
        ("money", "numeric"),
        ("text", "text"),
        ("character varying(40)", "text"),
        ("character(3)", "text"),
        ("name", "text"),
        ("date", "date"),
        ("timestamp without time zone", "timestamp"),
        ("timestamp(3) without time zone", "timestamp"),
        ("timestamp", "timestamp"),
        ("timestamp with time zone", "timestamptz"),
        ("TIMESTAMP(6) WITH TIME ZONE", "timestamptz"),
        ("boolean", "other"),
        ("jsonb", "other"),
        ("integer[]", "other"),
        ("character varying(20)[]", "other"),
        ("string", "other"),  # a Databricks name, not a PostgreSQL one
    ],
)
def test_postgres_type_families(data_type: str, family: str) -> None:
    assert PG.type_family(data_type) == family


@pytest.mark.parametrize(
    ("data_type", "family"),
    [
        ("int", "numeric"),
        ("BIGINT", "numeric"),
        ("tinyint", "numeric"),
        ("decimal(12,2)", "numeric"),
        ("DOUBLE", "numeric"),
        ("float", "numeric"),
        ("string", "text"),
        ("STRING", "text"),
        ("varchar(10)", "text"),
        ("date", "date"),
        ("timestamp", "timestamptz"),  # an instant on Databricks
        ("timestamp_ltz", "timestamptz"),
        ("timestamp_ntz", "timestamp"),
        ("boolean", "other"),
        ("binary", "other"),
        ("array<string>", "other"),
        ("array<decimal(10,2)>", "other"),
        ("struct<a:int,b:string>", "other"),
        ("character varying", "other"),  # a PostgreSQL name
    ],
)
def test_databricks_type_families(data_type: str, family: str) -> None:
    assert DBX.type_family(data_type) == family


def test_families_are_one_vocabulary() -> None:
    for dialect in (PG, DBX):
        assert set(dialect.type_families.values()) <= set(FAMILIES)
    assert base_type("  Character   Varying(20) ") == "character varying"


def test_spellings_that_differ() -> None:
    assert (
        PG.cast('"c"', "text") == '("c")::text' and DBX.cast("`c`", "text") == "CAST(`c` AS STRING)"
    )
    assert PG.count_if("x") == "count(*) FILTER (WHERE x)" and DBX.count_if("x") == "count_if(x)"
    assert PG.not_matches("t", "$1") == "t !~ $1" and DBX.not_matches("t", ":p1") == (
        "NOT (t RLIKE :p1)"
    )
    assert DBX.dotall("^a.b$") == "(?s)^a.b$" and PG.dotall("^a.b$") == "^a.b$"
    assert PG.date_trunc("week", "t") == "date_trunc('week', t)"
    assert DBX.date_trunc("week", "t") == "date_trunc('WEEK', t)"
    assert PG.bucket_series(PG.params(), [], []) is not None
    assert DBX.bucket_series(DBX.params(), [], []) is None
    assert PG.masking_style == "view" and DBX.masking_style == "column_mask"

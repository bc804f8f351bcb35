"""Rule configs checked before a rule is stored (pure, no database): every rule type accepts a
good config and fills its defaults; a bad config is InvalidArgument naming the field; names
and values that try to break out of the SQL are refused or travel as bind parameters."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from dcconnectors import registry
from dckit.errors import InvalidArgument
from quality_service.application.ports import CatalogObject
from quality_service.domain.json_values import json_safe
from quality_service.domain.quality_rules import expected_text, referenced_objects, validate
from quality_service.domain.rule_sql import batch_query, sample_query, shared_query
from quality_service.domain.rule_types import CATEGORY, RULE_TYPES, get
from quality_service.domain.rule_types.base import RuleSpec

EVIL = 'a"; drop table x; --'
EVIL_TICK = "b`; drop table x; --"
COLUMNS = {
    "id": "bigint",
    "code": "text",
    "status": "character varying(20)",
    "amount": "numeric(12,2)",
    "created_at": "timestamp with time zone",
    "day": "date",
    "ordered_at": "timestamp without time zone",
    "payload": "jsonb",
    EVIL: "text",
    EVIL_TICK: "text",
}
# The same table on Databricks, in its own type names.
DBX_COLUMNS = {
    "id": "bigint",
    "code": "string",
    "status": "varchar(20)",
    "amount": "decimal(12,2)",
    "created_at": "timestamp",
    "day": "date",
    "ordered_at": "timestamp_ntz",
    "payload": "variant",
    EVIL: "string",
    EVIL_TICK: "string",
}
PG, DBX = registry.dialect("postgres"), registry.dialect("databricks")
TYPES = {"postgres": COLUMNS, "databricks": DBX_COLUMNS}
CUSTOMERS = CatalogObject(
    ref="shop.sales.customers",
    urn="u",
    source_name="shop",
    source_type="postgres",
    schema="sales",
    name="customers",
    columns={"id": "bigint"},
)
REFS = {CUSTOMERS.ref: CUSTOMERS}
NOW = datetime(2026, 5, 1, tzinfo=UTC)

GOOD: dict[str, tuple[str, dict[str, Any]]] = {
    "not_null": ("code", {}),
    "no_empty_strings": ("code", {"trim": False}),
    "completeness_threshold": ("code", {"threshold_percent": 90, "allow_empty": False}),
    "value_in_set": ("status", {"allowed_values": ["a", "b"], "case_sensitive": False}),
    "pattern_match": ("code", {"pattern": "^[A-Z]{3}-[0-9]{4}$", "pattern_description": "x"}),
    "format_valid": ("code", {"format": "email", "max_failure_percent": 5}),
    "type_valid": ("code", {"type": "uuid"}),
    "range_check": ("amount", {"min": 0, "max": 100.5, "inclusive": False}),
    "length_check": ("code", {"max_length": 10}),
    "unique": ("id", {}),
    "unique_combination": ("", {"columns": ["id", "code"]}),
    "duplicate_threshold": ("", {"max_duplicate_percent": 2.5}),
    "referential_integrity": ("id", {"reference": CUSTOMERS.ref, "reference_column": "id"}),
    "cross_field_validation": ("", {"left": "day", "operator": "<=", "right": "created_at"}),
    "freshness": ("created_at", {"max_age": "24h"}),
    "recency_check": ("day", {"window": 3600}),
    "distribution_check": ("amount", {"mean": 100.0, "std_dev": 15.0, "tolerance": 0.1}),
    "outlier_detection": ("amount", {"method": "z_score"}),
    "statistical_threshold": ("", {"statistic": "row_count", "min": 1}),
    "custom_sql": ("", {"sql": "WITH x AS (SELECT 1 AS a) SELECT * FROM x;"}),
}


def _validate(rule_type: str, column: str, config: dict[str, Any], **kw: Any) -> RuleSpec:
    return validate(
        rule_type,
        column,
        config,
        columns=COLUMNS,
        dialect=PG,
        references=REFS,
        source_name="shop",
        **kw,
    )


def test_the_catalogue_covers_the_contract() -> None:
    assert set(GOOD) == set(RULE_TYPES) == set(CATEGORY)


@pytest.mark.parametrize("rule_type", RULE_TYPES)
def test_every_rule_type_accepts_a_good_config(rule_type: str) -> None:
    column, config = GOOD[rule_type]
    spec = _validate(rule_type, column, config, severity="critical", blocking=True)
    assert (spec.rule_type, spec.category, spec.column) == (rule_type, CATEGORY[rule_type], column)
    assert (spec.severity, spec.blocking) == ("critical", True)
    for key, value in config.items():
        if key != "sql":
            assert spec.config[key] == value
    assert expected_text(spec)
    # Every rule has SQL on both engines.
    for dialect in ("postgres", "databricks"):
        _sql_for(spec, dialect)


def _sql_for(spec: RuleSpec, name: str) -> list[Any]:
    dialect, columns = registry.dialect(name), TYPES[name]
    table = ("sales", "orders")
    refs = {CUSTOMERS.ref: ("sales", "customers")}
    if not get(spec.rule_type).own_pass:
        queries = [shared_query(dialect, table, [("0", spec)], columns, NOW)]
    else:
        queries = [batch_query(dialect, table, [("0", spec)], refs)]
    sample = sample_query(dialect, table, spec, columns, 5, refs.get(CUSTOMERS.ref))
    return [*queries, *([sample] if sample else [])]


def test_defaults_are_filled_in() -> None:
    spec = _validate("outlier_detection", "amount", {})
    assert spec.config == {"method": "iqr", "sensitivity": 1.5, "max_outlier_percent": 5.0}
    assert (
        _validate("outlier_detection", "amount", {"method": "z_score"}).config["sensitivity"] == 3.0
    )
    assert _validate("not_null", "code", {}).config == {"max_failure_percent": 0}
    assert _validate("no_empty_strings", "code", {}).config["trim"] is True
    assert _validate("duplicate_threshold", "code", {}).config["columns"] == ["code"]
    assert _validate("duplicate_threshold", "", {}).config["columns"] == list(COLUMNS)
    assert _validate("recency_check", "day", {"window": "7d"}).config["min_rows"] == 1
    spec = _validate("custom_sql", "", {"sql": "  select 1 ;  "})
    assert spec.config == {"sql": "select 1", "max_failures": 0}
    assert (spec.severity, spec.blocking) == ("warning", False)


BAD = [
    ("value_in_set", "status", {"allowed_values": []}, "rule_config.allowed_values:"),
    ("value_in_set", "status", {"allowed_values": "a"}, "rule_config.allowed_values:"),
    ("value_in_set", "amount", {"allowed_values": [1, "x"]}, "rule_config.allowed_values[1]:"),
    ("value_in_set", "status", {"allowed_values": [{"a": 1}]}, "rule_config.allowed_values[0]:"),
    (
        "value_in_set",
        "status",
        {"allowed_values": ["a"], "case_sensitive": "no"},
        "rule_config.case_sensitive:",
    ),
    ("not_null", "code", {"max_failure_percent": 101}, "rule_config.max_failure_percent:"),
    ("not_null", "code", {"max_failure_percent": "5"}, "rule_config.max_failure_percent:"),
    ("not_null", "code", {"threshold": 1}, "rule_config.threshold:"),
    ("completeness_threshold", "code", {"threshold_percent": -1}, "rule_config.threshold_percent:"),
    ("completeness_threshold", "id", {"allow_empty": False}, "column:"),
    (
        "completeness_threshold",
        "code",
        {"max_failure_percent": 1},
        "rule_config.max_failure_percent:",
    ),
    ("pattern_match", "code", {"pattern": "(?<=a)b"}, "rule_config.pattern:"),
    ("pattern_match", "code", {"pattern": r"(a)\1"}, "rule_config.pattern:"),
    ("pattern_match", "code", {"pattern": "("}, "rule_config.pattern:"),
    ("pattern_match", "code", {}, "rule_config.pattern:"),
    ("format_valid", "code", {"format": "phone"}, "rule_config.format:"),
    ("type_valid", "code", {"type": "money"}, "rule_config.type:"),
    ("type_valid", "id", {"type": "integer"}, "column:"),
    ("range_check", "amount", {}, "rule_config.min:"),
    ("range_check", "amount", {"min": 5, "max": 1}, "rule_config.min:"),
    ("range_check", "amount", {"min": True}, "rule_config.min:"),
    ("range_check", "code", {"min": 1}, "column:"),
    ("length_check", "code", {"min_length": -1}, "rule_config.min_length:"),
    ("length_check", "code", {"min_length": 1.5}, "rule_config.min_length:"),
    ("length_check", "code", {}, "rule_config.min_length:"),
    ("unique_combination", "", {"columns": ["id", "nope"]}, "rule_config.columns[1]:"),
    ("unique_combination", "", {"columns": []}, "rule_config.columns:"),
    ("unique_combination", "", {"columns": ["id", "id"]}, "rule_config.columns:"),
    ("unique_combination", "id", {"columns": ["id"]}, "column:"),
    (
        "duplicate_threshold",
        "",
        {"max_duplicate_percent": 200},
        "rule_config.max_duplicate_percent:",
    ),
    (
        "referential_integrity",
        "id",
        {"reference": "other.sales.customers", "reference_column": "id"},
        "rule_config.reference:",
    ),
    (
        "referential_integrity",
        "id",
        {"reference": "shop.sales.nope", "reference_column": "id"},
        "rule_config.reference:",
    ),
    (
        "referential_integrity",
        "id",
        {"reference": "customers", "reference_column": "id"},
        "rule_config.reference:",
    ),
    (
        "referential_integrity",
        "id",
        {"reference": CUSTOMERS.ref, "reference_column": "x"},
        "rule_config.reference_column:",
    ),
    (
        "cross_field_validation",
        "",
        {"left": "day", "operator": "; drop", "right": "created_at"},
        "rule_config.operator:",
    ),
    (
        "cross_field_validation",
        "",
        {"left": "day", "operator": "<", "right": "nope"},
        "rule_config.right:",
    ),
    (
        "cross_field_validation",
        "",
        {"left": "amount", "operator": "<", "right": "code"},
        "rule_config.right:",
    ),
    ("freshness", "created_at", {"max_age": "1 week"}, "rule_config.max_age:"),
    ("freshness", "created_at", {"max_age": 0}, "rule_config.max_age:"),
    ("freshness", "created_at", {}, "rule_config.max_age:"),
    ("freshness", "amount", {"max_age": "1h"}, "column:"),
    ("recency_check", "day", {"window": "1h", "min_rows": 0}, "rule_config.min_rows:"),
    ("distribution_check", "amount", {"tolerance": 0.1}, "rule_config.mean:"),
    (
        "distribution_check",
        "amount",
        {"mean": 1, "expected_distribution": "poisson"},
        "rule_config.expected_distribution:",
    ),
    ("distribution_check", "code", {"mean": 1}, "column:"),
    ("outlier_detection", "amount", {"method": "mad"}, "rule_config.method:"),
    ("outlier_detection", "amount", {"sensitivity": 0}, "rule_config.sensitivity:"),
    ("statistical_threshold", "amount", {"statistic": "mode", "min": 1}, "rule_config.statistic:"),
    ("statistical_threshold", "code", {"statistic": "mean", "min": 1}, "column:"),
    ("statistical_threshold", "", {"statistic": "null_count", "max": 1}, "column:"),
    ("statistical_threshold", "amount", {"statistic": "sum"}, "rule_config.min:"),
    ("custom_sql", "", {"sql": "DELETE FROM x"}, "rule_config.sql:"),
    ("custom_sql", "", {"sql": "SELECT 1; DROP TABLE x"}, "rule_config.sql:"),
    ("custom_sql", "", {"sql": "select 1", "max_failures": -1}, "rule_config.max_failures:"),
    ("custom_sql", "", {"sql": 5}, "rule_config.sql:"),
    ("not_null", "", {}, "column:"),
    ("not_null", "nope", {}, "column:"),
    ("not_null", EVIL + "x", {}, "column:"),
    ("nope", "code", {}, "rule_type:"),
]


@pytest.mark.parametrize(("rule_type", "column", "config", "prefix"), BAD)
def test_bad_configs_name_the_field(
    rule_type: str, column: str, config: dict[str, Any], prefix: str
) -> None:
    with pytest.raises(InvalidArgument) as exc:
        _validate(rule_type, column, config)
    assert str(exc.value).startswith(prefix), str(exc.value)


def test_other_refusals() -> None:
    with pytest.raises(InvalidArgument, match=r"^rule_type: custom_function is not supported"):
        _validate("custom_function", "", {})
    with pytest.raises(InvalidArgument, match=r"^severity:"):
        _validate("not_null", "code", {}, severity="fatal")
    with pytest.raises(InvalidArgument, match=r"^rule_config:"):
        not_a_mapping: Any = ["x"]
        validate("not_null", "code", not_a_mapping, columns=COLUMNS, dialect=PG)


def test_reference_form_is_checked_without_a_catalog_lookup() -> None:
    config = {"reference": "shop.sales.anything", "reference_column": "id"}
    spec = validate(
        "referential_integrity", "id", config, columns=COLUMNS, dialect=PG, source_name="shop"
    )
    assert spec.config == {**config, "max_failure_percent": 0}
    assert referenced_objects("referential_integrity", config) == ["shop.sales.anything"]
    assert referenced_objects("not_null", {}) == []
    assert referenced_objects("referential_integrity", {"reference": 3}) == []


def _all_sql(spec: RuleSpec, dialect: str) -> tuple[str, list[Any]]:
    queries = _sql_for(spec, dialect)
    params: list[Any] = []
    for q in queries:
        params += list(q.params if isinstance(q.params, list) else q.params.values())
    return "\n".join(q.sql for q in queries), params


@pytest.mark.parametrize("dialect", ["postgres", "databricks"])
def test_hostile_names_and_values_stay_quoted_or_bound(dialect: str) -> None:
    quote = '"a""; drop table x; --"' if dialect == "postgres" else '`a"; drop table x; --`'
    tick = '"b`; drop table x; --"' if dialect == "postgres" else "`b``; drop table x; --`"
    # A column of that name that the catalog knows is quoted, never spliced.
    for spec in (
        _validate("not_null", EVIL, {}),
        _validate("unique", EVIL, {}),
        _validate("unique_combination", "", {"columns": [EVIL, EVIL_TICK]}),
        _validate(
            "cross_field_validation", "", {"left": EVIL, "operator": "=", "right": EVIL_TICK}
        ),
    ):
        sql, _ = _all_sql(spec, dialect)
        unquoted = sql.replace(quote, "").replace(tick, "")
        assert "drop table" not in unquoted, sql
        assert quote in sql
    # User values only ever travel as parameters.
    hostile = "x' OR '1'='1"
    cases = [
        _validate("value_in_set", "status", {"allowed_values": [hostile, "o'brien"]}),
        _validate("value_in_set", "status", {"allowed_values": [hostile], "case_sensitive": False}),
        _validate("pattern_match", "code", {"pattern": "^it's$"}),
        _validate("pattern_match", EVIL, {"pattern": "'; drop table x; --"}),
    ]
    for spec in cases:
        sql, params = _all_sql(spec, dialect)
        assert "'" not in sql.replace("''", ""), sql  # only the empty-string literal, if any
        flat = [p for v in params for p in (v if isinstance(v, list) else [v])]
        assert any("'" in str(p) for p in flat)


def test_databricks_sql_uses_named_parameters_and_backticks() -> None:
    specs = [
        _validate("value_in_set", "status", {"allowed_values": ["a", "b"]}),
        _validate("range_check", "amount", {"min": 0, "max": 10}),
        _validate("recency_check", "created_at", {"window": "1d", "min_rows": 3}),
        _validate("statistical_threshold", "amount", {"statistic": "median", "max": 9}),
    ]
    query = shared_query(
        DBX,
        ("main", "sales", "orders"),
        [(str(i), s) for i, s in enumerate(specs)],
        DBX_COLUMNS,
        NOW,
    )
    assert "FROM `main`.`sales`.`orders`" in query.sql
    assert "count_if(" in query.sql and "FILTER" not in query.sql
    assert "percentile(`amount`, 0.5)" in query.sql
    assert "$" not in query.sql and '"' not in query.sql
    names = re.findall(r":(p\d+)", query.sql)
    assert sorted(set(names)) == sorted(query.params)
    assert query.params["p1"] == "a" and query.params["p2"] == "b"
    assert list(query.params.values())[2:4] == [0, 10]
    assert query.params["p5"] == datetime(2026, 4, 30, tzinfo=UTC)

    pg = shared_query(PG, ("sales", "orders"), [("0", specs[0])], COLUMNS, NOW)
    assert "= ANY($1::text[])" in pg.sql and pg.params == [["a", "b"]]

    spec = _validate("unique_combination", "", {"columns": ["id", "code"]})
    batch = batch_query(DBX, ("main", "sales", "orders"), [("7", spec)])
    assert "GROUP BY `id`, `code`" in batch.sql and batch.aliases == {"0": ("7", spec.rule_type)}


def test_postgres_numbers_bind_exactly() -> None:
    spec = _validate("range_check", "amount", {"min": 0.1, "max": 10})
    query = shared_query(PG, ("s", "t"), [("0", spec)], COLUMNS, NOW)
    assert query.params == [Decimal("0.1"), Decimal("10")]
    assert "$1::numeric" in query.sql and "$2::numeric" in query.sql


def test_expected_text() -> None:
    assert expected_text(_validate("not_null", "code", {})) == "NULL in <= 0% of rows"
    assert expected_text(_validate("value_in_set", "status", {"allowed_values": ["a", "b"]})) == (
        "value in {a, b}"
    )
    assert expected_text(_validate("range_check", "amount", {"min": 0, "max": 5})) == (
        "0 <= value <= 5"
    )
    text = expected_text(_validate("freshness", "created_at", {"max_age": "24h"}))
    assert text == "newest value at most 24h old"


def test_json_safe() -> None:
    u = uuid.uuid4()
    value = {
        "ts": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        "d": date(2026, 1, 2),
        "exact": Decimal("1.5"),
        "long": Decimal("12345678901234567890.123"),
        "b": b"\x00\xff",
        "u": u,
        "l": [Decimal("2"), None, True],
    }
    assert json_safe(value) == {
        "ts": "2026-01-02T03:04:00+00:00",
        "d": "2026-01-02",
        "exact": 1.5,
        "long": "12345678901234567890.123",
        "b": "00ff",
        "u": str(u),
        "l": [2.0, None, True],
    }


class _Warehouse:
    """A Databricks SQL warehouse at the DB-API cursor boundary: answers the shared scan with
    `total` and each aggregate alias, a batch with one row per rule; fails RLIKE statements."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []
        self.description: list[tuple[str]] = []
        self.rows: list[tuple[Any, ...]] = []

    def __call__(self) -> _Warehouse:
        return self

    def cursor(self) -> _Warehouse:
        return self

    def execute(self, sql: str, parameters: Any = None) -> None:
        self.statements.append((sql, dict(parameters or {})))
        if "RLIKE" in sql:
            raise RuntimeError("[INVALID_PARAMETER_VALUE.PATTERN] bad regex")
        if "UNION ALL" in sql or " AS rule," in sql:
            rules = re.findall(r"SELECT (\d+) AS rule", sql)
            self.description = [("rule",), ("v1",), ("v2",), ("v3",)]
            self.rows = [(int(r), 3.0, 1.0, None) for r in rules]
        else:
            aliases = re.findall(r" AS (total|r\d+_\w+)", sql)
            self.description = [(a,) for a in aliases]
            self.rows = [tuple(100 if a == "total" else 4 for a in aliases)]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def close(self) -> None:
        pass


async def test_a_check_on_databricks_binds_named_parameters() -> None:
    from dcconnectors.databricks.executor import DatabricksExecutor
    from quality_service.application.check_engine import evaluate
    from quality_service.domain.quality_rules import Rule

    warehouse = _Warehouse()
    conn = {
        "server_hostname": "adb-1.azuredatabricks.net",
        "http_path": "/sql/x",
        "catalog": "main",
    }
    executor = DatabricksExecutor(conn, statement_timeout_ms=5000, connect=warehouse)
    obj = CatalogObject(
        "shop.sales.orders", "u", "shop", "databricks", "sales", "orders", DBX_COLUMNS
    )
    rules = [
        Rule(1, "in set", _validate("value_in_set", "status", {"allowed_values": ["a", "b"]})),
        Rule(2, "pattern", _validate("pattern_match", "code", {"pattern": "^x"})),
        Rule(3, "unique", _validate("unique", "id", {}, severity="error")),
    ]
    outcomes = await evaluate(executor, obj, rules, sample_limit=0, now=NOW)
    await executor.close()
    by = {o.rule_id: o for o in outcomes}
    assert (by[1].status, by[1].failure_count, by[1].failure_percentage) == ("warning", 4, 4.0)
    assert by[2].status == "error" and "PATTERN" in by[2].error
    assert (by[3].status, by[3].failure_count, by[3].total_count) == ("failed", 3, 100)
    shared, *_ = warehouse.statements
    assert "FROM `main`.`sales`.`orders`" in shared[0]
    assert "`status` NOT IN (:p1, :p2)" in shared[0] and shared[1] == {
        "p1": "a",
        "p2": "b",
        "p3": "^x",
    }

"""SQL for quality rules, PostgreSQL ($n parameters) and Databricks (:name parameters). Pure
string building: identifiers are quoted by the dialect's quote() (and were checked against the
catalog's columns by rules.validate), every user value is a bind parameter.

Three kinds of statement (see docs/quality-rules.md):
- the shared scan: every rule that is an aggregate over the object's rows, in ONE SELECT
  (row-level predicates as filtered counts, plus the aggregates of completeness, freshness,
  recency, distribution and statistical rules, plus count(*));
- a batch per kind of rule that needs its own pass (GROUP BY for uniqueness, an anti-join for
  referential integrity, a statistics subquery for outliers, the admin's SQL for custom_sql):
  one UNION ALL statement per kind, one row per rule (rule, v1, v2, v3);
- samples: up to N failing rows (or duplicated values with their counts) for one rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from quality_service.domain.formats import FORMATS
from quality_service.domain.metrics import type_family
from quality_service.domain.rules import ROW_LEVEL, RuleSpec, duration_seconds
from quality_service.domain.sql import DatabricksDialect, PostgresDialect, Query

AGGREGATE_RULES = frozenset(
    {
        "completeness_threshold",
        "freshness",
        "recency_check",
        "distribution_check",
        "statistical_threshold",
    }
)
# Rules needing their own pass, by the kind of batch statement they share.
BATCH_KIND = {
    "unique": "groups",
    "unique_combination": "groups",
    "duplicate_threshold": "groups",
    "referential_integrity": "reference",
    "outlier_detection": "outliers",
    "custom_sql": "custom",
}
# Rules answered by the shared scan: the row-level ones that test one row at a time (the others
# need a pass of their own, above), and plain aggregates.
PREDICATE_RULES = ROW_LEVEL - BATCH_KIND.keys()
SHARED_RULES = PREDICATE_RULES | AGGREGATE_RULES
# Rules whose samples are duplicated values with their number of occurrences.
GROUP_SAMPLES = frozenset({"unique", "unique_combination", "duplicate_threshold"})

# Shapes (not calendars: 2024-02-30 is a well-formed date here), the same on both engines.
_DATE = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
TYPE_PATTERNS = {
    "integer": r"^\s*[+-]?[0-9]+\s*$",
    "decimal": r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$",
    "boolean": r"(?i)^\s*(true|false|t|f|yes|no|y|n|on|off|1|0)\s*$",
    "date": rf"^\s*{_DATE}\s*$",
    "timestamp": (
        rf"^\s*{_DATE}([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
        r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?\s*$"
    ),
    "uuid": rf"^\s*{_UUID}\s*$",
}


class Binder:
    """Collects bind parameters: $n (with a PostgreSQL type cast) or :pN (Databricks)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def __call__(self, value: Any, pg_type: str = "") -> str:
        self.values.append(value)
        n = len(self.values)
        if self.dialect == "postgres":
            return f"${n}::{pg_type}" if pg_type else f"${n}"
        return f":p{n}"

    @property
    def params(self) -> Any:
        if self.dialect == "postgres":
            return list(self.values)
        return {f"p{i + 1}": v for i, v in enumerate(self.values)}


class _Sql:
    """The few spellings that differ between the engines."""

    def __init__(self, dialect: str) -> None:
        if dialect not in ("postgres", "databricks"):
            raise ValueError(f"no rule SQL for dialect {dialect!r}")
        self.pg = dialect == "postgres"
        self.quote = PostgresDialect.quote if self.pg else DatabricksDialect.quote

    def table(self, path: Sequence[str]) -> str:
        return ".".join(self.quote(p) for p in path)

    def text(self, expr: str) -> str:
        return f"{expr}::text" if self.pg else f"CAST({expr} AS STRING)"

    def double(self, expr: str) -> str:
        return f"({expr})::float8" if self.pg else f"CAST({expr} AS DOUBLE)"

    def null_double(self) -> str:
        return "NULL::float8" if self.pg else "CAST(NULL AS DOUBLE)"

    def count_if(self, predicate: str) -> str:
        return f"count(*) FILTER (WHERE {predicate})" if self.pg else f"count_if({predicate})"

    def not_matching(self, expr: str, pattern: str) -> str:
        return f"{expr} !~ {pattern}" if self.pg else f"NOT ({expr} RLIKE {pattern})"

    def percentile(self, expr: str, p: float) -> str:
        if self.pg:
            return f"percentile_cont({p}) WITHIN GROUP (ORDER BY {expr})"
        return f"percentile({expr}, {p})"


def _number_param(b: Binder, value: Any) -> str:
    # Exact on PostgreSQL (compared with numeric columns), a plain number for Databricks.
    if b.dialect == "postgres":
        return b(Decimal(str(value)), "numeric")
    return b(value)


def failing_predicate(
    spec: RuleSpec, dialect: str, b: Binder, columns: Mapping[str, str], prefix: str = ""
) -> str:
    """The condition a failing row meets, for the row-level rules of the shared scan."""
    q = _Sql(dialect)
    c = spec.config
    col = prefix + q.quote(spec.column) if spec.column else ""
    t = spec.rule_type
    if t == "not_null":
        return f"{col} IS NULL"
    if t == "no_empty_strings":
        return f"{col} IS NOT NULL AND {'trim(' + col + ')' if c['trim'] else col} = ''"
    if t == "value_in_set":
        family = type_family(columns[spec.column])
        values = c["allowed_values"]
        if family == "numeric":
            if q.pg:
                arr = b([Decimal(str(v)) for v in values], "numeric[]")
                return f"{col} IS NOT NULL AND NOT ({col} = ANY({arr}))"
            return f"{col} IS NOT NULL AND {col} NOT IN ({', '.join(b(v) for v in values)})"
        texts = [_as_text(v) for v in values]
        expr = col if family == "text" else q.text(col)
        if not c["case_sensitive"]:
            expr, texts = f"lower({expr})", [v.lower() for v in texts]
        if q.pg:
            return f"{col} IS NOT NULL AND NOT ({expr} = ANY({b(texts, 'text[]')}))"
        return f"{col} IS NOT NULL AND {expr} NOT IN ({', '.join(b(v) for v in texts)})"
    if t in ("pattern_match", "format_valid", "type_valid"):
        pattern = {
            "pattern_match": lambda: c["pattern"],
            "format_valid": lambda: FORMATS[c["format"]],  # the profiler's table
            "type_valid": lambda: TYPE_PATTERNS[c["type"]],
        }[t]()
        return f"{col} IS NOT NULL AND {q.not_matching(q.text(col), b(pattern, 'text'))}"
    if t == "range_check":
        lo_op, hi_op = ("<", ">") if c["inclusive"] else ("<=", ">=")
        parts = []
        if c["min"] is not None:
            parts.append(f"{col} {lo_op} {_number_param(b, c['min'])}")
        if c["max"] is not None:
            parts.append(f"{col} {hi_op} {_number_param(b, c['max'])}")
        return f"({' OR '.join(parts)})"
    if t == "length_check":
        length = f"length({q.text(col)})"
        parts = []
        if c["min_length"] is not None:
            parts.append(f"{length} < {b(c['min_length'], 'int')}")
        if c["max_length"] is not None:
            parts.append(f"{length} > {b(c['max_length'], 'int')}")
        return f"({' OR '.join(parts)})"
    if t == "cross_field_validation":
        left, right = prefix + q.quote(c["left"]), prefix + q.quote(c["right"])
        op = c["operator"]  # from rules.OPERATORS only
        return f"{left} IS NOT NULL AND {right} IS NOT NULL AND NOT ({left} {op} {right})"
    raise ValueError(f"{t} has no row predicate")


def _as_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def recency_cutoff(spec: RuleSpec, columns: Mapping[str, str], now: datetime) -> datetime:
    """now - window; naive UTC for columns without a time zone (dates, timestamp)."""
    cutoff = now.astimezone(UTC) - timedelta(
        seconds=duration_seconds(spec.config["window"], "window")
    )
    if type_family(columns[spec.column]) == "timestamptz":
        return cutoff
    return cutoff.replace(tzinfo=None)


def _aggregates(
    spec: RuleSpec, q: _Sql, b: Binder, columns: Mapping[str, str], now: datetime
) -> dict[str, str]:
    """what → SQL aggregate, for one shared-scan rule."""
    t, c = spec.rule_type, spec.config
    col = q.quote(spec.column) if spec.column else ""
    if t in PREDICATE_RULES:
        return {
            "failures": q.count_if(
                failing_predicate(spec, "postgres" if q.pg else "databricks", b, columns)
            )
        }
    if t == "completeness_threshold":
        ok = (
            f"{col} IS NOT NULL" if c["allow_empty"] else f"{col} IS NOT NULL AND trim({col}) <> ''"
        )
        return {"complete": q.count_if(ok)}
    if t == "freshness":
        return {"newest": f"max({col})"}
    if t == "recency_check":
        cutoff = recency_cutoff(spec, columns, now)
        family = type_family(columns[spec.column])
        param = b(cutoff, "timestamptz" if family == "timestamptz" else "timestamp")
        if not q.pg:
            param = f"CAST({param} AS TIMESTAMP)"
        return {"recent": q.count_if(f"{col} >= {param}")}
    if t == "distribution_check":
        return {"mean": q.double(f"avg({col})"), "std_dev": q.double(f"stddev_samp({col})")}
    if t == "statistical_threshold":
        return {"value": _statistic(c["statistic"], col, q)}
    raise ValueError(f"{t} is not part of the shared scan")


def _statistic(stat: str, col: str, q: _Sql) -> str:
    if stat == "row_count":
        return "count(*)"
    if stat == "null_count":
        return q.count_if(f"{col} IS NULL")
    if stat == "distinct_count":
        return f"count(DISTINCT {col})"
    if stat == "median":
        return q.double(q.percentile(col, 0.5))
    fn = {
        "mean": "avg",
        "min": "min",
        "max": "max",
        "sum": "sum",
        "stddev": "stddev_samp",
        "variance": "var_samp",
    }[stat]
    return q.double(f"{fn}({col})")


def shared_query(
    dialect: str,
    table: Sequence[str],
    rules: Sequence[tuple[str, RuleSpec]],
    columns: Mapping[str, str],
    now: datetime,
) -> Query:
    """ONE scan for every (key, spec) of the shared kind. Result: one row with `total` and, per
    rule, aliases r<i>_<what>; Query.aliases maps each alias to (key, what)."""
    q, b = _Sql(dialect), Binder(dialect)
    select = ["count(*) AS total"]
    aliases: dict[str, tuple[str, str]] = {}
    for i, (key, spec) in enumerate(rules):
        for what, agg in _aggregates(spec, q, b, columns, now).items():
            alias = f"r{i}_{what}"
            aliases[alias] = (key, what)
            select.append(f"{agg} AS {alias}")
    return Query(f"SELECT {', '.join(select)} FROM {q.table(table)}", b.params, aliases)


def _batch_part(
    spec: RuleSpec,
    q: _Sql,
    b: Binder,
    table: str,
    reference_table: str,
) -> tuple[str, str, str, str]:
    """(FROM-and-rest, v1, v2, v3) of one rule's row in its kind's batch."""
    t, c = spec.rule_type, spec.config
    col = q.quote(spec.column) if spec.column else ""
    if t in ("unique", "unique_combination"):
        cols = [col] if t == "unique" else [q.quote(x) for x in c["columns"]]
        not_null = " AND ".join(f"{x} IS NOT NULL" for x in cols)
        inner = (
            f"SELECT count(*) AS n FROM {table} WHERE {not_null} "
            f"GROUP BY {', '.join(cols)} HAVING count(*) > 1"
        )
        return f"FROM ({inner}) d", "coalesce(sum(n), 0)", "count(*)", q.null_double()
    if t == "duplicate_threshold":
        cols = [q.quote(x) for x in c["columns"]]
        inner = f"SELECT count(*) AS n FROM {table} GROUP BY {', '.join(cols)} HAVING count(*) > 1"
        return f"FROM ({inner}) d", "coalesce(sum(n - 1), 0)", "count(*)", "coalesce(sum(n), 0)"
    if t == "referential_integrity":
        return (
            f"FROM {table} a WHERE {_orphan(spec, q, reference_table)}",
            "count(*)",
            q.null_double(),
            q.null_double(),
        )
    if t == "outlier_detection":
        stats, outlier = _outlier_parts(spec, q, b, table)
        return (
            f"FROM {table} a CROSS JOIN ({stats}) s",
            q.count_if(outlier),
            "max(s.lo)",
            "max(s.hi)",
        )
    if t == "custom_sql":
        return f"FROM (\n{c['sql']}\n) q", "count(*)", q.null_double(), q.null_double()
    raise ValueError(f"{t} has no batch statement")


def _orphan(spec: RuleSpec, q: _Sql, reference_table: str) -> str:
    col = "a." + q.quote(spec.column)
    ref_col = "r." + q.quote(spec.config["reference_column"])
    return (
        f"{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {reference_table} r "
        f"WHERE {ref_col} = {col})"
    )


def _outlier_parts(spec: RuleSpec, q: _Sql, b: Binder, table: str) -> tuple[str, str]:
    """(statistics subquery giving s.lo/s.hi — or mean/sd for z_score — , outlier condition)."""
    col = q.quote(spec.column)
    value = q.double("a." + col)
    k = b(float(spec.config["sensitivity"]), "float8")
    if spec.config["method"] == "iqr":
        quartiles = (
            f"SELECT {q.double(q.percentile(col, 0.25))} AS q1, "
            f"{q.double(q.percentile(col, 0.75))} AS q3 FROM {table}"
        )
        stats = (
            f"SELECT q1 - {k} * (q3 - q1) AS lo, q3 + {k} * (q3 - q1) AS hi FROM ({quartiles}) qs"
        )
        return stats, f"{value} < s.lo OR {value} > s.hi"
    moments = (
        f"SELECT {q.double(f'avg({col})')} AS m, {q.double(f'stddev_samp({col})')} AS sd "
        f"FROM {table}"
    )
    # lo/hi carry mean and std dev here (reported as details).
    stats = f"SELECT m AS lo, sd AS hi FROM ({moments}) ms"
    return stats, f"s.hi > 0 AND abs({value} - s.lo) > {k} * s.hi"


def batch_query(
    dialect: str,
    table: Sequence[str],
    rules: Sequence[tuple[str, RuleSpec]],
    reference_tables: Mapping[str, Sequence[str]] | None = None,
) -> Query:
    """One UNION ALL statement: a row (rule, v1, v2, v3) per (key, spec), rules of one kind
    (or several; each part stands alone). `reference_tables`: ref → table path."""
    q, b = _Sql(dialect), Binder(dialect)
    tbl = q.table(table)
    parts = []
    aliases: dict[str, tuple[str, str]] = {}
    for i, (key, spec) in enumerate(rules):
        ref_table = ""
        if spec.rule_type == "referential_integrity":
            ref_table = q.table((reference_tables or {})[spec.config["reference"]])
        rest, v1, v2, v3 = _batch_part(spec, q, b, tbl, ref_table)
        aliases[str(i)] = (key, spec.rule_type)
        parts.append(
            f"SELECT {i} AS rule, {q.double(v1)} AS v1, {q.double(v2)} AS v2, "
            f"{q.double(v3)} AS v3 {rest}"
        )
    return Query("\nUNION ALL\n".join(parts), b.params, aliases)


def sample_query(
    dialect: str,
    table: Sequence[str],
    spec: RuleSpec,
    columns: Mapping[str, str],
    limit: int,
    reference_table: Sequence[str] | None = None,
    key_columns: Sequence[str] = (),
) -> Query | None:
    """Up to `limit` failing rows of one rule (its columns, then `key_columns` so a reader can
    find the row, aliased c0.. → Query.aliases maps alias → ('column', name)), or for duplicate
    rules the duplicated values with their count (alias `n`). None for rules about the whole
    object (no failing rows to show). custom_sql samples are the admin's own columns (no
    aliases)."""
    q, b = _Sql(dialect), Binder(dialect)
    tbl = q.table(table)
    limit = int(limit)
    t = spec.rule_type
    cols = spec.columns()
    shown = list(dict.fromkeys([*cols, *key_columns])) if t not in GROUP_SAMPLES else cols
    select = ", ".join(f"a.{q.quote(name)} AS c{i}" for i, name in enumerate(shown))
    aliases = {f"c{i}": ("column", name) for i, name in enumerate(shown)}
    if t in PREDICATE_RULES:
        where = failing_predicate(spec, dialect, b, columns, prefix="a.")
        sql = f"SELECT {select} FROM {tbl} a WHERE {where} LIMIT {limit}"
    elif t in GROUP_SAMPLES:
        group = ", ".join(f"a.{q.quote(name)}" for name in cols)
        where = ""
        if t != "duplicate_threshold":
            where = " WHERE " + " AND ".join(f"a.{q.quote(x)} IS NOT NULL" for x in cols)
        sql = (
            f"SELECT {select}, count(*) AS n FROM {tbl} a{where} GROUP BY {group} "
            f"HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT {limit}"
        )
        aliases["n"] = ("occurrences", "")
    elif t == "referential_integrity":
        ref = q.table(reference_table or ())
        sql = f"SELECT {select} FROM {tbl} a WHERE {_orphan(spec, q, ref)} LIMIT {limit}"
    elif t == "outlier_detection":
        stats, outlier = _outlier_parts(spec, q, b, tbl)
        sql = f"SELECT {select} FROM {tbl} a CROSS JOIN ({stats}) s WHERE {outlier} LIMIT {limit}"
    elif t == "custom_sql":
        sql = f"SELECT * FROM (\n{spec.config['sql']}\n) q LIMIT {limit}"
        aliases = {}
    else:
        return None
    return Query(sql, b.params, aliases)

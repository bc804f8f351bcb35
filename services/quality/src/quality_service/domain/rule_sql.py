"""SQL for quality rules, written once for every source through its connector's dialect
(dcconnectors: quoting, parameters, the spellings that differ). Pure string building:
identifiers are quoted by the dialect's quote() (and were checked against the catalog's columns
by rules.validate), every user value is a bind parameter.

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
from typing import Any

from dcconnectors.dialect import Dialect, Params
from dcconnectors.types import NUMERIC, TEXT, TIMESTAMPTZ
from quality_service.domain.formats import FORMATS
from quality_service.domain.rules import ROW_LEVEL, RuleSpec, duration_seconds
from quality_service.domain.sql import Query

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


def failing_predicate(
    spec: RuleSpec, d: Dialect, b: Params, columns: Mapping[str, str], prefix: str = ""
) -> str:
    """The condition a failing row meets, for the row-level rules of the shared scan."""
    c = spec.config
    col = prefix + d.quote(spec.column) if spec.column else ""
    t = spec.rule_type
    if t == "not_null":
        return f"{col} IS NULL"
    if t == "no_empty_strings":
        return f"{col} IS NOT NULL AND {'trim(' + col + ')' if c['trim'] else col} = ''"
    if t == "value_in_set":
        family = d.type_family(columns[spec.column])
        values = c["allowed_values"]
        if family == NUMERIC:
            return f"{col} IS NOT NULL AND {d.not_in(col, values, b, 'numeric')}"
        texts = [_as_text(v) for v in values]
        expr = col if family == TEXT else d.cast(col, "text")
        if not c["case_sensitive"]:
            expr, texts = f"lower({expr})", [v.lower() for v in texts]
        return f"{col} IS NOT NULL AND {d.not_in(expr, texts, b, 'text')}"
    if t in ("pattern_match", "format_valid", "type_valid"):
        pattern = {
            "pattern_match": lambda: c["pattern"],
            "format_valid": lambda: FORMATS[c["format"]],  # the profiler's table
            "type_valid": lambda: TYPE_PATTERNS[c["type"]],
        }[t]()
        return f"{col} IS NOT NULL AND {d.not_matches(d.cast(col, 'text'), b(pattern, 'text'))}"
    if t == "range_check":
        lo_op, hi_op = ("<", ">") if c["inclusive"] else ("<=", ">=")
        parts = []
        if c["min"] is not None:
            parts.append(f"{col} {lo_op} {b(c['min'], 'numeric')}")
        if c["max"] is not None:
            parts.append(f"{col} {hi_op} {b(c['max'], 'numeric')}")
        return f"({' OR '.join(parts)})"
    if t == "length_check":
        length = f"length({d.cast(col, 'text')})"
        parts = []
        if c["min_length"] is not None:
            parts.append(f"{length} < {b(c['min_length'], 'integer')}")
        if c["max_length"] is not None:
            parts.append(f"{length} > {b(c['max_length'], 'integer')}")
        return f"({' OR '.join(parts)})"
    if t == "cross_field_validation":
        left, right = prefix + d.quote(c["left"]), prefix + d.quote(c["right"])
        op = c["operator"]  # from rules.OPERATORS only
        return f"{left} IS NOT NULL AND {right} IS NOT NULL AND NOT ({left} {op} {right})"
    raise ValueError(f"{t} has no row predicate")


def _as_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def recency_cutoff(
    spec: RuleSpec, dialect: Dialect, columns: Mapping[str, str], now: datetime
) -> datetime:
    """now - window; naive UTC for columns without a time zone (dates, timestamp)."""
    cutoff = now.astimezone(UTC) - timedelta(
        seconds=duration_seconds(spec.config["window"], "window")
    )
    if dialect.type_family(columns[spec.column]) == TIMESTAMPTZ:
        return cutoff
    return cutoff.replace(tzinfo=None)


def _aggregates(
    spec: RuleSpec, d: Dialect, b: Params, columns: Mapping[str, str], now: datetime
) -> dict[str, str]:
    """what → SQL aggregate, for one shared-scan rule."""
    t, c = spec.rule_type, spec.config
    col = d.quote(spec.column) if spec.column else ""
    if t in PREDICATE_RULES:
        return {"failures": d.count_if(failing_predicate(spec, d, b, columns))}
    if t == "completeness_threshold":
        ok = (
            f"{col} IS NOT NULL" if c["allow_empty"] else f"{col} IS NOT NULL AND trim({col}) <> ''"
        )
        return {"complete": d.count_if(ok)}
    if t == "freshness":
        return {"newest": f"max({col})"}
    if t == "recency_check":
        cutoff = recency_cutoff(spec, d, columns, now)
        family = d.type_family(columns[spec.column])
        param = b(cutoff, "timestamptz" if family == TIMESTAMPTZ else "timestamp")
        return {"recent": d.count_if(f"{col} >= {param}")}
    if t == "distribution_check":
        return {
            "mean": d.cast(f"avg({col})", "double"),
            "std_dev": d.cast(f"stddev_samp({col})", "double"),
        }
    if t == "statistical_threshold":
        return {"value": _statistic(c["statistic"], col, d)}
    raise ValueError(f"{t} is not part of the shared scan")


def _statistic(stat: str, col: str, d: Dialect) -> str:
    if stat == "row_count":
        return "count(*)"
    if stat == "null_count":
        return d.count_if(f"{col} IS NULL")
    if stat == "distinct_count":
        return f"count(DISTINCT {col})"
    if stat == "median":
        return d.cast(d.percentile(col, 0.5), "double")
    fn = {
        "mean": "avg",
        "min": "min",
        "max": "max",
        "sum": "sum",
        "stddev": "stddev_samp",
        "variance": "var_samp",
    }[stat]
    return d.cast(f"{fn}({col})", "double")


def shared_query(
    d: Dialect,
    table: Sequence[str],
    rules: Sequence[tuple[str, RuleSpec]],
    columns: Mapping[str, str],
    now: datetime,
) -> Query:
    """ONE scan for every (key, spec) of the shared kind. Result: one row with `total` and, per
    rule, aliases r<i>_<what>; Query.aliases maps each alias to (key, what)."""
    b = d.params()
    select = ["count(*) AS total"]
    aliases: dict[str, tuple[str, str]] = {}
    for i, (key, spec) in enumerate(rules):
        for what, agg in _aggregates(spec, d, b, columns, now).items():
            alias = f"r{i}_{what}"
            aliases[alias] = (key, what)
            select.append(f"{agg} AS {alias}")
    return Query(f"SELECT {', '.join(select)} FROM {d.table(table)}", b.bound, aliases)


def _batch_part(
    spec: RuleSpec,
    d: Dialect,
    b: Params,
    table: str,
    reference_table: str,
) -> tuple[str, str, str, str]:
    """(FROM-and-rest, v1, v2, v3) of one rule's row in its kind's batch."""
    t, c = spec.rule_type, spec.config
    col = d.quote(spec.column) if spec.column else ""
    if t in ("unique", "unique_combination"):
        cols = [col] if t == "unique" else [d.quote(x) for x in c["columns"]]
        not_null = " AND ".join(f"{x} IS NOT NULL" for x in cols)
        inner = (
            f"SELECT count(*) AS n FROM {table} WHERE {not_null} "
            f"GROUP BY {', '.join(cols)} HAVING count(*) > 1"
        )
        return f"FROM ({inner}) d", "coalesce(sum(n), 0)", "count(*)", d.cast("NULL", "double")
    if t == "duplicate_threshold":
        cols = [d.quote(x) for x in c["columns"]]
        inner = f"SELECT count(*) AS n FROM {table} GROUP BY {', '.join(cols)} HAVING count(*) > 1"
        return f"FROM ({inner}) d", "coalesce(sum(n - 1), 0)", "count(*)", "coalesce(sum(n), 0)"
    if t == "referential_integrity":
        return (
            f"FROM {table} a WHERE {_orphan(spec, d, reference_table)}",
            "count(*)",
            d.cast("NULL", "double"),
            d.cast("NULL", "double"),
        )
    if t == "outlier_detection":
        stats, outlier = _outlier_parts(spec, d, b, table)
        return (
            f"FROM {table} a CROSS JOIN ({stats}) s",
            d.count_if(outlier),
            "max(s.lo)",
            "max(s.hi)",
        )
    if t == "custom_sql":
        return (
            f"FROM (\n{c['sql']}\n) q",
            "count(*)",
            d.cast("NULL", "double"),
            d.cast("NULL", "double"),
        )
    raise ValueError(f"{t} has no batch statement")


def _orphan(spec: RuleSpec, d: Dialect, reference_table: str) -> str:
    col = "a." + d.quote(spec.column)
    ref_col = "r." + d.quote(spec.config["reference_column"])
    return (
        f"{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {reference_table} r "
        f"WHERE {ref_col} = {col})"
    )


def _outlier_parts(spec: RuleSpec, d: Dialect, b: Params, table: str) -> tuple[str, str]:
    """(statistics subquery giving s.lo/s.hi — or mean/sd for z_score — , outlier condition)."""
    col = d.quote(spec.column)
    value = d.cast("a." + col, "double")
    k = b(float(spec.config["sensitivity"]), "double")
    if spec.config["method"] == "iqr":
        quartiles = (
            f"SELECT {d.cast(d.percentile(col, 0.25), 'double')} AS q1, "
            f"{d.cast(d.percentile(col, 0.75), 'double')} AS q3 FROM {table}"
        )
        stats = (
            f"SELECT q1 - {k} * (q3 - q1) AS lo, q3 + {k} * (q3 - q1) AS hi FROM ({quartiles}) qs"
        )
        return stats, f"{value} < s.lo OR {value} > s.hi"
    moments = (
        f"SELECT {d.cast(f'avg({col})', 'double')} AS m, "
        f"{d.cast(f'stddev_samp({col})', 'double')} AS sd FROM {table}"
    )
    # lo/hi carry mean and std dev here (reported as details).
    stats = f"SELECT m AS lo, sd AS hi FROM ({moments}) ms"
    return stats, f"s.hi > 0 AND abs({value} - s.lo) > {k} * s.hi"


def batch_query(
    d: Dialect,
    table: Sequence[str],
    rules: Sequence[tuple[str, RuleSpec]],
    reference_tables: Mapping[str, Sequence[str]] | None = None,
) -> Query:
    """One UNION ALL statement: a row (rule, v1, v2, v3) per (key, spec), rules of one kind
    (or several; each part stands alone). `reference_tables`: ref → table path."""
    b = d.params()
    tbl = d.table(table)
    parts = []
    aliases: dict[str, tuple[str, str]] = {}
    for i, (key, spec) in enumerate(rules):
        ref_table = ""
        if spec.rule_type == "referential_integrity":
            ref_table = d.table((reference_tables or {})[spec.config["reference"]])
        rest, v1, v2, v3 = _batch_part(spec, d, b, tbl, ref_table)
        aliases[str(i)] = (key, spec.rule_type)
        v1, v2, v3 = (d.cast(v, "double") for v in (v1, v2, v3))
        parts.append(f"SELECT {i} AS rule, {v1} AS v1, {v2} AS v2, {v3} AS v3 {rest}")
    return Query("\nUNION ALL\n".join(parts), b.bound, aliases)


def sample_query(
    d: Dialect,
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
    b = d.params()
    tbl = d.table(table)
    limit = int(limit)
    t = spec.rule_type
    cols = spec.columns()
    shown = list(dict.fromkeys([*cols, *key_columns])) if t not in GROUP_SAMPLES else cols
    select = ", ".join(f"a.{d.quote(name)} AS c{i}" for i, name in enumerate(shown))
    aliases = {f"c{i}": ("column", name) for i, name in enumerate(shown)}
    if t in PREDICATE_RULES:
        where = failing_predicate(spec, d, b, columns, prefix="a.")
        sql = f"SELECT {select} FROM {tbl} a WHERE {where} LIMIT {limit}"
    elif t in GROUP_SAMPLES:
        group = ", ".join(f"a.{d.quote(name)}" for name in cols)
        where = ""
        if t != "duplicate_threshold":
            where = " WHERE " + " AND ".join(f"a.{d.quote(x)} IS NOT NULL" for x in cols)
        sql = (
            f"SELECT {select}, count(*) AS n FROM {tbl} a{where} GROUP BY {group} "
            f"HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT {limit}"
        )
        aliases["n"] = ("occurrences", "")
    elif t == "referential_integrity":
        ref = d.table(reference_table or ())
        sql = f"SELECT {select} FROM {tbl} a WHERE {_orphan(spec, d, ref)} LIMIT {limit}"
    elif t == "outlier_detection":
        stats, outlier = _outlier_parts(spec, d, b, tbl)
        sql = f"SELECT {select} FROM {tbl} a CROSS JOIN ({stats}) s WHERE {outlier} LIMIT {limit}"
    elif t == "custom_sql":
        sql = f"SELECT * FROM (\n{spec.config['sql']}\n) q LIMIT {limit}"
        aliases = {}
    else:
        return None
    return Query(sql, b.bound, aliases)

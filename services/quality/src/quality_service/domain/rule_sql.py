"""The statements that evaluate quality rules, assembled from each rule type's SQL
(rule_types/) for every source through its connector's dialect (dcconnectors: quoting,
parameters, the spellings that differ). Pure string building: identifiers are quoted by the
dialect's quote() (and were checked against the catalog's columns by validation), every user
value is a bind parameter.

Three kinds of statement (see docs/quality-rules.md):
- the shared scan: every rule the shared scan answers (`own_pass` ""), in ONE SELECT: row-level
  predicates as filtered counts, the other aggregates as they are, plus count(*);
- a batch per `own_pass` kind (GROUP BY for uniqueness, an anti-join for referential
  integrity, a statistics subquery for outliers, the admin's SQL for custom_sql): one UNION ALL
  statement per kind, one row per rule (rule, v1, v2, v3);
- samples: up to N failing rows (or duplicated values with their counts) for one rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from dcconnectors.dialect import Dialect
from quality_service.domain import rule_types
from quality_service.domain.query import Query
from quality_service.domain.rule_types.base import RuleSpec, Sql


def shared_query(
    d: Dialect,
    table: Sequence[str],
    rules: Sequence[tuple[str, RuleSpec]],
    columns: Mapping[str, str],
    now: datetime,
) -> Query:
    """ONE scan for every (key, spec) of the shared kind. Result: one row with `total` and, per
    rule, aliases r<i>_<what>; Query.aliases maps each alias to (key, what)."""
    sql = Sql(d, d.params(), columns, now)
    select = ["count(*) AS total"]
    aliases: dict[str, tuple[str, str]] = {}
    for i, (key, spec) in enumerate(rules):
        for what, agg in rule_types.get(spec.rule_type).aggregates(spec, sql).items():
            alias = f"r{i}_{what}"
            aliases[alias] = (key, what)
            select.append(f"{agg} AS {alias}")
    return Query(f"SELECT {', '.join(select)} FROM {d.table(table)}", sql.b.bound, aliases)


def _reference_table(
    d: Dialect, spec: RuleSpec, reference_tables: Mapping[str, Sequence[str]] | None
) -> str:
    refs = rule_types.get(spec.rule_type).references(spec.config)
    return d.table((reference_tables or {})[refs[0]]) if refs else ""


def batch_query(
    d: Dialect,
    table: Sequence[str],
    rules: Sequence[tuple[str, RuleSpec]],
    reference_tables: Mapping[str, Sequence[str]] | None = None,
) -> Query:
    """One UNION ALL statement: a row (rule, v1, v2, v3) per (key, spec), rules of one kind
    (or several; each part stands alone). `reference_tables`: ref → table path."""
    sql = Sql(d, d.params(), {})
    tbl = d.table(table)
    parts = []
    aliases: dict[str, tuple[str, str]] = {}
    for i, (key, spec) in enumerate(rules):
        kind = rule_types.get(spec.rule_type)
        ref_table = _reference_table(d, spec, reference_tables)
        rest, v1, v2, v3 = kind.batch_part(spec, sql, tbl, ref_table)
        aliases[str(i)] = (key, spec.rule_type)
        v1, v2, v3 = (d.cast(v, "double") for v in (v1, v2, v3))
        parts.append(f"SELECT {i} AS rule, {v1} AS v1, {v2} AS v2, {v3} AS v3 {rest}")
    return Query("\nUNION ALL\n".join(parts), sql.b.bound, aliases)


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
    object (no failing rows to show). A type with `own_columns` (custom_sql) shows whatever
    its SQL selects (no aliases)."""
    kind = rule_types.get(spec.rule_type)
    sql = Sql(d, d.params(), columns)
    rest = kind.sample(spec, sql, d.table(table), d.table(reference_table or ()))
    if rest is None:
        return None
    limit = int(limit)
    if kind.own_columns:
        return Query(f"SELECT * {rest} LIMIT {limit}", sql.b.bound, {})
    cols = kind.columns(spec)
    shown = cols if kind.group_samples else list(dict.fromkeys([*cols, *key_columns]))
    select = ", ".join(f"a.{d.quote(name)} AS c{i}" for i, name in enumerate(shown))
    aliases = {f"c{i}": ("column", name) for i, name in enumerate(shown)}
    if kind.group_samples:
        select += ", count(*) AS n"
        aliases["n"] = ("occurrences", "")
    return Query(f"SELECT {select} {rest} LIMIT {limit}", sql.b.bound, aliases)

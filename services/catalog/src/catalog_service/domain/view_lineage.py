"""Lineage of a view from its SQL, parsed with sqlglot (PostgreSQL dialect).

A parse never disappears silently: the result always says what was parsed, with a confidence
(1.0 every output column traced, 0.5 tables found but some columns not, 0.0 parse failed)
and the error, and the caller stores it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify

# sqlglot logs unsupported syntax warnings itself; the result carries them instead.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# Columns known per (schema, table): lets the parser expand `*` and resolve bare names.
SchemaColumns = dict[tuple[str, str], list[str]]


@dataclass(frozen=True)
class ColumnEdge:
    upstream: tuple[str, str]  # (schema, table)
    upstream_column: str
    downstream_column: str


@dataclass
class ViewLineage:
    tables: list[tuple[str, str]] = field(default_factory=list)
    columns: list[ColumnEdge] = field(default_factory=list)
    confidence: float = 0.0
    error: str | None = None


def parse_view(sql: str, known: SchemaColumns, default_schema: str = "public") -> ViewLineage:
    """Tables and column edges feeding the view defined by `sql` (a SELECT).

    Unqualified names are in `default_schema`: pg_get_viewdef qualifies every name that is
    not visible on the search_path, and the scan connection's path is the default one."""
    result = ViewLineage()
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except SqlglotError as exc:
        result.error = f"parse error: {str(exc).splitlines()[0][:300]}"
        return result
    if tree is None or not isinstance(tree, exp.Query):
        result.error = "not a SELECT statement"
        return result
    schema: dict[str, Any] = {}
    for (schema_name, table_name), cols in known.items():
        schema.setdefault(schema_name, {})[table_name] = {c: "text" for c in cols}
    try:
        # Expands `*`, resolves bare column names and qualifies tables with the schema.
        tree = qualify(
            tree,
            schema=schema,
            dialect="postgres",
            db=default_schema,
            validate_qualify_columns=False,
        )
    except (SqlglotError, KeyError, ValueError) as exc:
        result.error = f"cannot resolve names: {str(exc).splitlines()[0][:200]}"
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    seen: set[tuple[str, str]] = set()
    for table in tree.find_all(exp.Table):
        if not table.name or (not table.db and table.name in ctes):
            continue
        key = (table.db or default_schema, table.name)
        if key not in seen:
            seen.add(key)
            result.tables.append(key)
    traced = 0
    outputs = tree.named_selects
    for column in outputs:
        try:
            node = lineage(column, tree, schema=schema, dialect="postgres")
        except (SqlglotError, KeyError, ValueError) as exc:
            result.error = result.error or f"column {column}: {str(exc).splitlines()[0][:200]}"
            continue
        found = False
        for leaf in node.walk():
            if leaf.downstream or not isinstance(leaf.expression, exp.Table):
                continue
            table = leaf.expression
            upstream = (table.db or default_schema, table.name)
            name = leaf.name.split(".")[-1].strip('"')
            result.columns.append(ColumnEdge(upstream, name, column))
            found = True
        # Constant outputs (SELECT 1 AS x) have no upstream and are still fully understood.
        traced += 1 if found or not _has_columns(tree, column) else 0
    if not result.tables and not outputs:
        result.error = result.error or "no tables or columns found"
    if result.error is None and traced == len(outputs):
        result.confidence = 1.0
    elif result.tables:
        result.confidence = 0.5
    return result


def _has_columns(tree: exp.Query, column: str) -> bool:
    for select in tree.selects:
        if select.alias_or_name == column:
            return any(True for _ in select.find_all(exp.Column))
    return True

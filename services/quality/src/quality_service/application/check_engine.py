"""Evaluating the quality rules of one object on its source with as few statements as the rules
allow (each type's SQL and verdict in domain/rule_types, statements assembled in
domain/rule_sql, semantics in docs/quality-rules.md).

Statements for a check of K rules:
- 1 shared scan, always (it also gives the row count every percentage divides by): every
  rule whose type the shared scan answers (row-level predicates as filtered counts, and the
  aggregates of completeness, freshness, recency, distribution, statistical thresholds);
- + 1 per `own_pass` kind of rule present, at most 4: uniqueness (unique,
  unique_combination, duplicate_threshold), referential integrity, outlier detection, custom
  SQL; each a UNION ALL of the kind's rules;
- + 1 sample query per rule that did not pass and has rows to show (sample_limit > 0).
So a check of K rules that all pass costs 1 to 5 statements whatever K is. When the source
rejects a statement (QueryFailed: bad cast, regex the engine refuses, timeout), its rules are
split in halves and retried, as application/measure.py does for metrics, so one bad rule is
'error' for itself only; a batch of n rules with one bad rule costs at most 2·log2(n)+1 more
statements. A SourceError that is not QueryFailed (connection lost) propagates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dcconnectors.errors import QueryFailed
from quality_service.application.ports import CatalogObject, Executor
from quality_service.domain import rule_types
from quality_service.domain.json_values import json_safe
from quality_service.domain.quality_checks import status_for
from quality_service.domain.quality_rules import Rule, expected_text
from quality_service.domain.query import Query
from quality_service.domain.rule_sql import batch_query, sample_query, shared_query
from quality_service.domain.rule_types.base import CheckOutcome, Judging, RuleSpec

Items = list[tuple[str, RuleSpec]]


@dataclass
class _Results:
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → what → value
    errors: dict[str, str] = field(default_factory=dict)
    elapsed_ms: dict[str, int] = field(default_factory=dict)
    total: int | None = None


async def _run_split(
    fetch: Callable[[Query], Awaitable[list[dict[str, Any]]]],
    items: Items,
    build: Callable[[Items], Query],
    out: _Results,
    shared: bool,
) -> None:
    """Runs `items` in one statement; on QueryFailed, halves and retries down to one rule."""
    query = build(items)
    started = time.monotonic()
    try:
        rows = await fetch(query)
    except QueryFailed as exc:
        if len(items) <= 1:
            for key, _ in items:
                out.errors[key] = str(exc)
            return
        half = len(items) // 2
        await asyncio.gather(
            _run_split(fetch, items[:half], build, out, shared),
            _run_split(fetch, items[half:], build, out, shared),
        )
        return
    elapsed = int((time.monotonic() - started) * 1000)
    for key, _ in items:
        out.elapsed_ms[key] = elapsed
    if shared:
        row = rows[0]
        out.total = int(row["total"])
        for alias, (key, what) in query.aliases.items():
            out.values.setdefault(key, {})[what] = row[alias]
    else:
        for row in rows:
            key, _ = query.aliases[str(row["rule"])]
            out.values[key] = {"v1": row["v1"], "v2": row["v2"], "v3": row["v3"]}


async def evaluate(
    executor: Executor,
    obj: CatalogObject,
    rules: Sequence[Rule],
    *,
    references: Mapping[str, CatalogObject] | None = None,
    sample_limit: int = 10,
    now: datetime | None = None,
) -> list[CheckOutcome]:
    """One outcome per rule, in the order given. `references`: ref → object for the
    referential_integrity rules (a rule whose reference is missing is 'skipped')."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if not rules:
        return []
    dialect = executor.dialect
    table = executor.table_path(obj.schema, obj.name)
    columns = obj.columns
    refs = references or {}
    ref_tables = {ref: executor.table_path(o.schema, o.name) for ref, o in refs.items()}

    skipped: dict[str, str] = {}
    scan: Items = []
    kinds: dict[str, Items] = {}
    for i, rule in enumerate(rules):
        key, spec = str(i), rule.spec
        kind = rule_types.get(spec.rule_type)
        missing = [r for r in kind.references(spec.config) if r not in refs]
        if missing:
            skipped[key] = f"reference {missing[0]} is not in the catalog"
        elif kind.own_pass:  # a statement of its own, shared with the rules of its kind
            kinds.setdefault(kind.own_pass, []).append((key, spec))
        else:
            scan.append((key, spec))

    results = _Results()
    # The shared scan first: its count(*) is the denominator of every percentage.
    await _run_split(
        executor.fetch,
        scan,
        lambda items: shared_query(dialect, table, items, columns, now),
        results,
        shared=True,
    )
    await asyncio.gather(
        *(
            _run_split(
                executor.fetch,
                items,
                lambda items: batch_query(dialect, table, items, ref_tables),
                results,
                shared=False,
            )
            for items in kinds.values()
        )
    )

    judging = Judging(results.total, dialect, columns, now)
    outcomes: list[CheckOutcome] = []
    for i, rule in enumerate(rules):
        key, spec = str(i), rule.spec
        kind = rule_types.get(spec.rule_type)
        outcome = CheckOutcome(rule_id=rule.id, status="error", expected_value=expected_text(spec))
        if key in skipped:
            outcome.status, outcome.error = "skipped", skipped[key]
        elif key in results.errors:
            outcome.error = results.errors[key]
        elif key in results.values and results.total is None and kind.needs_total:
            # The shared scan carrying count(*) failed: no percentage, so no verdict.
            outcome.error = "the row count (shared scan) failed: percentages cannot be judged"
        elif key in results.values:
            outcome.total_count = results.total
            passed = kind.judge(outcome, spec, results.values[key], judging)
            outcome.status = status_for(passed, spec.severity)
        else:  # only when the shared scan failed as a whole (no rule of its own to blame)
            outcome.error = "the source did not answer the shared scan"
        outcome.duration_ms = results.elapsed_ms.get(key, 0)
        outcomes.append(outcome)

    if sample_limit > 0:
        await asyncio.gather(
            *(
                _sample(executor, table, rule.spec, outcome, obj, ref_tables, sample_limit)
                for rule, outcome in zip(rules, outcomes, strict=True)
                if outcome.status in ("failed", "warning")
            )
        )
    return outcomes


async def _sample(
    executor: Executor,
    table: tuple[str, ...],
    spec: RuleSpec,
    outcome: CheckOutcome,
    obj: CatalogObject,
    ref_tables: Mapping[str, tuple[str, ...]],
    limit: int,
) -> None:
    refs = rule_types.get(spec.rule_type).references(spec.config)
    ref_table = ref_tables.get(refs[0]) if refs else None
    query = sample_query(
        executor.dialect, table, spec, obj.columns, limit, ref_table, obj.primary_key
    )
    if query is None:
        return
    started = time.monotonic()
    try:
        rows = await executor.fetch(query)
    except QueryFailed as exc:
        # The check itself has its result; only the illustration is missing.
        outcome.details["samples_error"] = str(exc)
        return
    finally:
        outcome.duration_ms += int((time.monotonic() - started) * 1000)
    for row in rows:
        if not query.aliases:  # custom_sql: the admin's own columns
            outcome.samples.append({"values": {str(k): json_safe(v) for k, v in row.items()}})
            continue
        sample: dict[str, Any] = {"values": {}}
        for alias, (kind, name) in query.aliases.items():
            if kind == "occurrences":
                sample["occurrences"] = int(row[alias])
            else:
                sample["values"][name] = json_safe(row[alias])
        outcome.samples.append(sample)

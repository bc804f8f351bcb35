"""Evaluating the quality rules of one object on its source with as few statements as the rules
allow (SQL in domain/rule_sql, semantics in docs/quality-rules.md).

Statements for a check of K rules:
- 1 shared scan, always (it also gives the row count every percentage divides by): all
  row-level predicate rules and the aggregate rules (completeness, freshness, recency,
  distribution, statistical thresholds);
- + 1 per kind of own-pass rule present, at most 4: uniqueness (unique, unique_combination,
  duplicate_threshold), referential integrity, outlier detection, custom SQL; each a UNION ALL
  of the kind's rules;
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
from datetime import UTC, date, datetime
from typing import Any

from dcconnectors.dialect import Dialect
from dcconnectors.errors import QueryFailed
from quality_service.application.ports import CatalogObject, Executor
from quality_service.domain.rule_sql import (
    BATCH_KIND,
    SHARED_RULES,
    batch_query,
    recency_cutoff,
    sample_query,
    shared_query,
)
from quality_service.domain.rules import (
    CheckOutcome,
    Rule,
    RuleSpec,
    duration_seconds,
    expected_text,
    json_safe,
    status_for,
)
from quality_service.domain.sql import Query

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


# Rules judged on a share of all rows (besides the row-level ones).
TOTAL_RULES = frozenset({"completeness_threshold", "duplicate_threshold", "outlier_detection"})


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
    shared: Items = []
    kinds: dict[str, Items] = {}
    for i, rule in enumerate(rules):
        key, spec = str(i), rule.spec
        if spec.rule_type == "referential_integrity" and spec.config["reference"] not in refs:
            skipped[key] = f"reference {spec.config['reference']} is not in the catalog"
        elif spec.rule_type in SHARED_RULES:
            shared.append((key, spec))
        else:
            kinds.setdefault(BATCH_KIND[spec.rule_type], []).append((key, spec))

    results = _Results()
    # The shared scan first: its count(*) is the denominator of every percentage.
    await _run_split(
        executor.fetch,
        shared,
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

    outcomes: list[CheckOutcome] = []
    for i, rule in enumerate(rules):
        key, spec = str(i), rule.spec
        outcome = CheckOutcome(rule_id=rule.id, status="error", expected_value=expected_text(spec))
        if key in skipped:
            outcome.status, outcome.error = "skipped", skipped[key]
        elif key in results.errors:
            outcome.error = results.errors[key]
        elif key in results.values and results.total is None and _needs_total(spec):
            # The shared scan carrying count(*) failed: no percentage, so no verdict.
            outcome.error = "the row count (shared scan) failed: percentages cannot be judged"
        elif key in results.values:
            _judge(outcome, spec, results.values[key], results.total, dialect, columns, now)
        else:  # only when the shared scan failed as a whole (no rule of its own to blame)
            outcome.error = "the source did not answer the shared scan"
        outcome.duration_ms = results.elapsed_ms.get(key, 0)
        outcomes.append(outcome)

    if sample_limit > 0:
        await asyncio.gather(
            *(
                _sample(
                    executor,
                    dialect,
                    table,
                    rule.spec,
                    outcome,
                    columns,
                    ref_tables,
                    sample_limit,
                    obj.primary_key,
                )
                for rule, outcome in zip(rules, outcomes, strict=True)
                if outcome.status in ("failed", "warning")
            )
        )
    return outcomes


async def _sample(
    executor: Executor,
    dialect: Dialect,
    table: tuple[str, ...],
    spec: RuleSpec,
    outcome: CheckOutcome,
    columns: Mapping[str, str],
    ref_tables: Mapping[str, tuple[str, ...]],
    limit: int,
    key_columns: Sequence[str],
) -> None:
    ref_table = ref_tables.get(spec.config.get("reference", "")) if spec.config else None
    query = sample_query(dialect, table, spec, columns, limit, ref_table, key_columns)
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


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _percent(part: float, total: int | None) -> float | None:
    if total is None:
        return None
    return part / total * 100.0 if total else 0.0


def _needs_total(spec: RuleSpec) -> bool:
    return spec.row_level or spec.rule_type in TOTAL_RULES


def _judge(
    o: CheckOutcome,
    spec: RuleSpec,
    v: Mapping[str, Any],
    total: int | None,
    dialect: Dialect,
    columns: Mapping[str, str],
    now: datetime,
) -> None:
    """Fills measured/threshold/counts and the status from the statement's values."""
    t, c = spec.rule_type, spec.config
    o.total_count = total
    passed: bool
    if spec.row_level:
        failures = int(v["failures"] if "failures" in v else v["v1"])
        pct = _percent(failures, total)
        o.failure_count, o.failure_percentage = failures, pct
        o.measured_value = pct
        o.threshold_value = float(c["max_failure_percent"])
        passed = pct is not None and pct <= c["max_failure_percent"]
        if t in ("unique", "unique_combination"):
            o.details["duplicated_values"] = int(v["v2"])
    elif t == "completeness_threshold":
        complete = int(v["complete"])
        o.threshold_value = float(c["threshold_percent"])
        if total:
            o.measured_value = complete / total * 100.0
            o.failure_count = total - complete
            o.failure_percentage = 100.0 - o.measured_value
            passed = o.measured_value >= c["threshold_percent"]
        else:
            o.failure_count, o.failure_percentage = 0, 0.0
            passed = True  # no rows: nothing is incomplete
    elif t == "duplicate_threshold":
        extra = int(v["v1"])
        pct = _percent(extra, total)
        o.failure_count, o.failure_percentage, o.measured_value = extra, pct, pct
        o.threshold_value = float(c["max_duplicate_percent"])
        o.details.update(duplicate_groups=int(v["v2"]), rows_in_duplicates=int(v["v3"]))
        passed = pct is not None and pct <= c["max_duplicate_percent"]
    elif t == "freshness":
        max_age = duration_seconds(c["max_age"], "max_age")
        o.threshold_value = max_age
        newest = v["newest"]
        if newest is None:
            o.details["reason"] = "no values"
            passed = False
        else:
            o.measured_value = (now - _instant(newest)).total_seconds()
            o.details["newest"] = json_safe(newest)
            passed = o.measured_value <= max_age
    elif t == "recency_check":
        recent = int(v["recent"])
        o.measured_value, o.threshold_value = float(recent), float(c["min_rows"])
        o.details["since"] = json_safe(recency_cutoff(spec, dialect, columns, now))
        passed = recent >= c["min_rows"]
    elif t == "distribution_check":
        mean, sd = _f(v["mean"]), _f(v["std_dev"])
        o.details.update(
            mean=mean, std_dev=sd, expected_mean=c["mean"], expected_std_dev=c["std_dev"]
        )
        o.threshold_value = float(c["tolerance"])
        o.measured_value = mean if c["mean"] is not None else sd
        passed = all(
            _within(got, c[name], c["tolerance"])
            for name, got in (("mean", mean), ("std_dev", sd))
            if c[name] is not None
        )
    elif t == "outlier_detection":
        count = int(v["v1"])
        pct = _percent(count, total)
        o.failure_count, o.failure_percentage, o.measured_value = count, pct, pct
        o.threshold_value = float(c["max_outlier_percent"])
        if c["method"] == "iqr":
            o.details.update(lower_bound=_f(v["v2"]), upper_bound=_f(v["v3"]))
        else:
            o.details.update(mean=_f(v["v2"]), std_dev=_f(v["v3"]))
        passed = pct is not None and pct <= c["max_outlier_percent"]
    elif t == "statistical_threshold":
        value = _f(v["value"])
        o.measured_value = value
        o.threshold_value = _f(c["max"] if c["max"] is not None else c["min"])
        o.details.update(min=c["min"], max=c["max"])
        passed = (
            value is not None
            and (c["min"] is None or value >= c["min"])
            and (c["max"] is None or value <= c["max"])
        )
        if value is None:
            o.details["reason"] = "no values"
    elif t == "custom_sql":
        failures = int(v["v1"])
        o.failure_count, o.measured_value = failures, float(failures)
        o.failure_percentage = _percent(failures, total)
        o.threshold_value = float(c["max_failures"])
        passed = failures <= c["max_failures"]
    else:  # pragma: no cover - validate() admits no other type
        raise ValueError(t)
    o.status = status_for(passed, spec.severity)


def _within(got: float | None, expected: float, tolerance: float) -> bool:
    if got is None:
        return False
    allowed = tolerance * abs(expected) if expected else tolerance
    return abs(got - expected) <= allowed + 1e-12 * max(1.0, abs(expected))


def _instant(value: Any) -> datetime:
    """A max() of a date/timestamp column as an aware instant (naive values are UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

"""Check outcomes: a check's status from its verdict and the rule's severity, a run's status,
and the quality score of a capsule (0-100): the latest check of every enabled rule, averaged per
dimension, then across dimensions with fixed weights. A check scores the share of rows that met
its rule (100 - failure percentage) when it counts rows, else 100 when it passed and 0 when it
did not; errors and skipped checks say nothing about the data and are left out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Completeness first: missing data breaks most consumers; distribution and custom checks are
# the most often tuned by hand, so they weigh least.
WEIGHTS: dict[str, float] = {
    "completeness": 3.0,
    "validity": 2.0,
    "uniqueness": 2.0,
    "consistency": 2.0,
    "timeliness": 2.0,
    "distribution": 1.0,
    "custom": 1.0,
}
STATUSES = ("passed", "failed", "warning", "error", "skipped")
COUNTED = frozenset({"passed", "failed", "warning"})
# Severities whose failing check is status 'failed' (the others give 'warning').
FAILING_SEVERITIES = frozenset({"error", "critical"})


# A quoted literal in an error text ('x', "x"): sources quote the value they choked on.
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"\\]|\\.)*\"")


def redact_literals(text: str) -> str:
    """`text` with every quoted literal replaced by `***` (quotes kept), for callers that
    may not see the column's values: `invalid input syntax for type integer: "***"`."""
    return _QUOTED.sub(lambda m: f"{m.group(0)[0]}***{m.group(0)[0]}", text)


def status_for(passed: bool, severity: str) -> str:
    if passed:
        return "passed"
    return "failed" if severity in FAILING_SEVERITIES else "warning"


@dataclass(frozen=True)
class Score:
    score: float | None
    dimensions: dict[str, float] = field(default_factory=dict)
    checks_counted: int = 0


def check_score(status: str, failure_percentage: float | None) -> float:
    if status == "passed":
        return 100.0
    if failure_percentage is None:
        return 0.0
    return max(0.0, min(100.0, 100.0 - failure_percentage))


def score(checks: Iterable[Mapping[Any, Any]]) -> Score:
    """`checks`: mappings with category, status and failure_percentage."""
    per_dimension: dict[str, list[float]] = {}
    for c in checks:
        if c["status"] not in COUNTED:
            continue
        per_dimension.setdefault(c["category"], []).append(
            check_score(c["status"], c["failure_percentage"])
        )
    if not per_dimension:
        return Score(None)
    dimensions = {d: round(sum(v) / len(v), 2) for d, v in per_dimension.items()}
    total_weight = sum(WEIGHTS.get(d, 1.0) for d in dimensions)
    overall = sum(s * WEIGHTS.get(d, 1.0) for d, s in dimensions.items()) / total_weight
    counted = sum(len(v) for v in per_dimension.values())
    return Score(round(overall, 2), dimensions, counted)


def run_status(checks: Iterable[Mapping[Any, Any]]) -> str:
    """failed: a blocking rule did not pass (a pipeline gate should stop); warning: some
    non-blocking rule did not pass; error: nothing failed but some check could not run."""
    statuses = [(c["status"], c["blocking"]) for c in checks]
    if any(s in ("failed", "warning") and blocking for s, blocking in statuses):
        return "failed"
    if any(s in ("failed", "warning") for s, _ in statuses):
        return "warning"
    if any(s == "error" for s, _ in statuses):
        return "error"
    return "passed"

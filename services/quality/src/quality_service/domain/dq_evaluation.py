"""Turning measured values into results and breaches, bucket by bucket in date order, so each
bucket is judged only by what came before it (see thresholds.py)."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from quality_service.domain.dq_metrics import ZERO_WHEN_EMPTY
from quality_service.domain.dq_thresholds import Bounds, bounds_for, deviation

MetricKey = tuple[str, str]  # (metric_type, column)


@dataclass(frozen=True)
class Measurement:
    value: float | None
    error: str = ""


@dataclass(frozen=True)
class ExpectationView:
    id: int
    metric_type: str
    column: str
    threshold: Mapping[str, Any]
    enabled: bool = True

    @property
    def key(self) -> MetricKey:
        return (self.metric_type, self.column)


@dataclass(frozen=True)
class Outcome:
    expectation_id: int
    bucket: date
    status: str  # ok | breach | error | no_data | learning
    value: float | None
    bounds: Bounds | None
    error: str = ""
    direction: str = ""
    deviation: float = 0.0

    @property
    def is_breach(self) -> bool:
        return self.status == "breach"


@dataclass
class History:
    """Earlier non-breaching values of one expectation, kept sorted by bucket."""

    points: list[tuple[date, float]] = field(default_factory=list)

    def add(self, bucket: date, value: float) -> None:
        bisect.insort(self.points, (bucket, value))


def fill_empty(
    measured: Mapping[date, Mapping[MetricKey, Measurement]],
    buckets: Sequence[date],
    keys: Sequence[MetricKey],
) -> dict[date, dict[MetricKey, Measurement]]:
    """A bucket without rows is not missing data: its counts are 0, its other metrics have no
    value. The query only returns buckets that have rows."""
    out: dict[date, dict[MetricKey, Measurement]] = {}
    for bucket in buckets:
        got = measured.get(bucket)
        if got is None:
            out[bucket] = {k: Measurement(0.0 if k[0] in ZERO_WHEN_EMPTY else None) for k in keys}
        else:
            out[bucket] = {k: got.get(k, Measurement(None, "not measured")) for k in keys}
    return out


def evaluate(
    expectations: Sequence[ExpectationView],
    buckets: Sequence[date],
    measured: Mapping[date, Mapping[MetricKey, Measurement]],
    history: dict[int, History],
    grain: str,
) -> list[Outcome]:
    """One outcome per (enabled expectation, bucket). `history` is extended in place with each
    non-breaching value, so later buckets of the same run learn from earlier ones."""
    outcomes: list[Outcome] = []
    for exp in expectations:
        if not exp.enabled:
            continue
        past = history.setdefault(exp.id, History())
        for bucket in sorted(buckets):
            m = measured[bucket][exp.key]
            if m.error:
                outcomes.append(Outcome(exp.id, bucket, "error", None, None, m.error))
                continue
            if m.value is None:
                outcomes.append(Outcome(exp.id, bucket, "no_data", None, None))
                continue
            bounds = bounds_for(
                exp.threshold, bucket, past.points, grain, count=exp.metric_type in ZERO_WHEN_EMPTY
            )
            direction = bounds.breached(m.value)
            if direction:
                outcomes.append(
                    Outcome(
                        exp.id,
                        bucket,
                        "breach",
                        m.value,
                        bounds,
                        "",
                        direction,
                        deviation(m.value, bounds, direction),
                    )
                )
                continue
            past.add(bucket, m.value)
            status = "learning" if bounds.learning else "ok"
            outcomes.append(Outcome(exp.id, bucket, status, m.value, bounds))
    return outcomes


def trend(values: Sequence[float], tolerance: float = 0.02) -> str:
    """Direction of the least-squares slope over the values, relative to their mean:
    'up' / 'down' beyond ±tolerance per bucket, else 'stable'; 'unknown' under 3 points."""
    if len(values) < 3:
        return "unknown"
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / sxx
    scale = abs(mean_y) or max(abs(v) for v in values) or 1.0
    rel = slope / scale
    if rel > tolerance:
        return "up"
    if rel < -tolerance:
        return "down"
    return "stable"

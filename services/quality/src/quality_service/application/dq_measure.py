"""Measuring every metric of one object over a chunk of buckets with as few queries as the
data allows: one query for everything; when the source rejects it, split the metrics in half
and retry each half, so one bad metric (a cast error, a timeout on a costly aggregate) is
stored as an error for itself only instead of sinking the others."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from dcconnectors.errors import QueryFailed
from quality_service.application.ports import Executor
from quality_service.domain.dq_evaluation import Measurement, MetricKey
from quality_service.domain.dq_grain import buckets as bucket_range
from quality_service.domain.dq_metrics import ZERO_WHEN_EMPTY
from quality_service.domain.dq_sql import MetricRequest, ScanSpec, metric_query, unique_metrics

Measured = dict[date, dict[MetricKey, Measurement]]


class RateLimiter:
    """At most `per_second` queries started per second across the whole run (0 = no limit)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


def _chunk_buckets(spec: ScanSpec) -> list[date]:
    return bucket_range(spec.start, spec.end_exclusive - timedelta(days=1), spec.grain)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


async def measure(executor: Executor, spec: ScanSpec, limiter: RateLimiter) -> Measured:
    """Values per bucket that has rows, per (metric, column). Buckets without rows are absent
    (evaluation.fill_empty decides what that means). Connection failures propagate."""
    metrics = unique_metrics(spec.metrics)
    query = metric_query(executor.dialect, replace(spec, metrics=tuple(metrics)))
    await limiter.wait()
    try:
        rows = await executor.fetch(query)
    except QueryFailed as exc:
        if len(metrics) == 1:
            error = Measurement(None, str(exc))
            return {b: {metrics[0].key: error} for b in _chunk_buckets(spec)}
        half = len(metrics) // 2
        left, right = await asyncio.gather(
            measure(executor, replace(spec, metrics=tuple(metrics[:half])), limiter),
            measure(executor, replace(spec, metrics=tuple(metrics[half:])), limiter),
        )
        merged: Measured = {}
        for part in (left, right):
            for bucket, values in part.items():
                merged.setdefault(bucket, {}).update(values)
        return _complete(merged, metrics)
    out: Measured = {}
    for row in rows:
        bucket = row["bucket"]
        out[bucket] = {
            key: Measurement(_number(row[alias])) for alias, key in query.aliases.items()
        }
    return out


def _complete(merged: Measured, metrics: list[MetricRequest]) -> Measured:
    """After a split, a bucket that one half saw (it has rows) and the other did not must
    still carry every metric: the half that succeeded found no rows there."""
    for values in merged.values():
        for m in metrics:
            if m.key not in values:
                values[m.key] = Measurement(0.0 if m.metric_type in ZERO_WHEN_EMPTY else None)
    return merged

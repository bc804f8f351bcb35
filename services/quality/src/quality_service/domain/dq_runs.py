"""DQ runs: what a run covers (its buckets, from dates or a number of days), and how its outcome
is summed up per bucket and as a status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dckit.errors import InvalidArgument
from quality_service.domain import dq_grain as grains
from quality_service.domain.dq_evaluation import Outcome

MAX_BUCKETS = 3660
HISTORY_LIMIT = 730  # the longest training window a threshold may ask for
ACTIVE = ("pending", "running")


@dataclass(frozen=True)
class DqRunSpec:
    """A run of a config (by id, or the config of an object named apart) over a date range."""

    config_id: int = 0
    start_date: str = ""  # '' = the last complete bucket
    end_date: str = ""  # '' = start_date
    parallelism: int = 0  # 0 = the server's default
    max_queries_per_second: float = 0.0  # 0 = the server's default
    wait: bool = False
    days: int = 0  # instead of dates: the last N days before today

    def validated(self) -> DqRunSpec:
        if self.parallelism < 0 or self.max_queries_per_second < 0:
            raise InvalidArgument("parallelism and max_queries_per_second must not be negative")
        return self


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidArgument(f"{name} must be a date (YYYY-MM-DD), not {value!r}") from exc


def plan_buckets(spec: DqRunSpec, grain: str, today: date) -> list[date]:
    """The buckets a run measures, whole ones only, none in the future."""
    if spec.days:
        if spec.start_date or spec.end_date:
            raise InvalidArgument("give either days or start/end dates, not both")
        first, last = grains.backfill_range(today, spec.days, grain)
        return grains.buckets(first, last, grain)
    start = (
        _day(spec.start_date, "start_date")
        if spec.start_date
        else grains.last_complete(today, grain)
    )
    end = _day(spec.end_date, "end_date") if spec.end_date else start
    if end > today:
        raise InvalidArgument(f"end_date {end} is in the future (today is {today})")
    buckets = grains.buckets(start, end, grain)
    if len(buckets) > MAX_BUCKETS:
        raise InvalidArgument(f"a run covers at most {MAX_BUCKETS} buckets")
    return buckets


def bucket_summary(
    buckets: Sequence[date],
    outcomes: Sequence[Outcome],
    failed: Mapping[date, str],
    opened: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Per bucket: stored metrics, opened breaches, and whether it failed (unreadable, or every
    metric in error)."""
    stored: dict[date, int] = {}
    for o in outcomes:
        if o.status != "error":
            stored[o.bucket] = stored.get(o.bucket, 0) + 1
    breaches: dict[date, int] = {}
    for b in opened:
        breaches[b["bucket"]] = breaches.get(b["bucket"], 0) + 1
    return [
        {
            "bucket": b.isoformat(),
            "status": "failed" if b in failed or not stored.get(b) else "succeeded",
            "error": failed.get(b, "" if stored.get(b) else "every metric failed"),
            "metrics": stored.get(b, 0),
            "breaches": breaches.get(b, 0),
        }
        for b in buckets
    ]


def run_status(summary: Sequence[Mapping[str, Any]], metric_errors: int) -> str:
    """failed: no bucket could be measured; partial: some bucket or metric failed."""
    failed = sum(1 for s in summary if s["status"] == "failed")
    if failed == len(summary):
        return "failed"
    return "partial" if failed or metric_errors else "succeeded"

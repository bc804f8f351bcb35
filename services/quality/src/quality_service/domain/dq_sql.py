"""The one query that measures every metric of one object over a date range: one row per
bucket (`GROUP BY` the bucket), one aggregate per distinct (metric, column), written once for
every source through its connector's dialect (dcconnectors). Pure string building:
identifiers are quoted by the dialect (and were checked against the catalog before), every
value (dates, time zone, date format) is a bind parameter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from dcconnectors.dialect import Dialect
from quality_service.domain.dq_grain import buckets as grain_buckets
from quality_service.domain.query import Query

GRAIN_UNIT = {"daily": "day", "weekly": "week", "monthly": "month"}


@dataclass(frozen=True)
class MetricRequest:
    metric_type: str
    column: str  # '' for row_count

    @property
    def key(self) -> tuple[str, str]:
        return (self.metric_type, self.column)


@dataclass(frozen=True)
class ScanSpec:
    """What to measure: `table` is the path below the source ([schema, name], or
    [catalog, schema, name] on Databricks); buckets in [start, end_exclusive)."""

    table: tuple[str, ...]
    date_column: str
    date_family: str  # 'date' | 'timestamp' | 'timestamptz' | 'text' (see configs.date_family)
    date_format: str
    grain: str
    timezone: str
    start: date
    end_exclusive: date
    metrics: tuple[MetricRequest, ...] = field(default_factory=tuple)
    # The date column leads a btree index: each bucket can be read by an index range.
    date_indexed: bool = False


# Aggregates that sort their group (no hashing, no parallel plan for a GROUP BY holding them).
SORTING_METRICS = frozenset({"distinct_count", "median"})


def _sorts(metrics: tuple[MetricRequest, ...]) -> bool:
    return any(m.metric_type in SORTING_METRICS for m in metrics)


def _select_list(
    metrics: tuple[MetricRequest, ...], aggregate: Callable[[MetricRequest], str]
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """One `<aggregate> AS m<i>` per distinct (metric, column), and alias → (metric, column)."""
    aliases, aggs = {}, []
    for i, m in enumerate(unique_metrics(metrics)):
        aliases[f"m{i}"] = m.key
        aggs.append(f"{aggregate(m)} AS m{i}")
    return aliases, aggs


def unique_metrics(metrics: tuple[MetricRequest, ...]) -> list[MetricRequest]:
    seen: dict[tuple[str, str], MetricRequest] = {}
    for m in metrics:
        seen.setdefault(m.key, m)
    return list(seen.values())


def metric_query(dialect: Dialect, spec: ScanSpec) -> Query:
    """The statement measuring `spec` on a source of `dialect`: one row per bucket."""
    if spec.date_indexed and spec.date_family != "text" and _sorts(spec.metrics):
        query = _per_bucket(dialect, spec)
        if query is not None:
            return query
    p = dialect.params()
    start = p(spec.start, "date", name="start")
    end = p(spec.end_exclusive, "date", name="end")
    col = dialect.quote(spec.date_column)
    if spec.date_family == "timestamptz":
        tz = p(spec.timezone, name="tz")
        local = dialect.local_time(col, tz)
        # Bounds are converted once, so an index on the column still serves the range.
        lo = dialect.utc_time(dialect.cast(start, "timestamp"), tz)
        hi = dialect.utc_time(dialect.cast(end, "timestamp"), tz)
        where = f"{col} >= {lo} AND {col} < {hi}"
    elif spec.date_family == "text":
        day = f"to_date({col}, {p(spec.date_format, name='fmt')})"
        local = dialect.cast(day, "timestamp")
        where = f"{day} >= {start} AND {day} < {end}"
    else:  # date or timestamp without time zone
        local = dialect.cast(col, "timestamp")
        where = f"{col} >= {start} AND {col} < {end}"
    bucket = dialect.cast(dialect.date_trunc(GRAIN_UNIT[spec.grain], local), "date")
    aliases, aggs = _select_list(spec.metrics, lambda m: _aggregate(dialect, m))
    select = ", ".join([f"{bucket} AS bucket", *aggs])
    sql = f"SELECT {select} FROM {dialect.table(spec.table)} WHERE {where} GROUP BY 1 ORDER BY 1"
    return Query(sql, p.bound, aliases)


def _per_bucket(dialect: Dialect, spec: ScanSpec) -> Query | None:
    """Still one statement reading each row once, but bucket by bucket: each bucket's rows
    come from an index range and are aggregated alone. DISTINCT and median then sort one
    bucket in memory instead of the whole range on disk (the GROUP BY plan must sort every
    row by bucket first, and cannot run in parallel): 1.5x faster on 5M rows on PostgreSQL.
    None where the dialect has no series of buckets to join."""
    starts = grain_buckets(spec.start, spec.end_exclusive - timedelta(days=1), spec.grain)
    ends = [*starts[1:], spec.end_exclusive]
    p = dialect.params()
    series = dialect.bucket_series(p, starts, ends)
    if series is None:
        return None
    col = dialect.quote(spec.date_column)
    if spec.date_family == "timestamptz":
        tz = p(spec.timezone, name="tz")
        lo = dialect.utc_time(dialect.cast("b.bucket", "timestamp"), tz)
        hi = dialect.utc_time(dialect.cast("b.next", "timestamp"), tz)
    elif spec.date_family == "timestamp":
        lo, hi = dialect.cast("b.bucket", "timestamp"), dialect.cast("b.next", "timestamp")
    else:
        lo, hi = "b.bucket", "b.next"
    aliases, aggs = _select_list(spec.metrics, lambda m: _aggregate(dialect, m))
    sql = (
        f"SELECT b.bucket, m.* FROM {series} "
        f"CROSS JOIN LATERAL (SELECT {', '.join(aggs)} FROM {dialect.table(spec.table)} "
        f"WHERE {col} >= {lo} AND {col} < {hi}) m ORDER BY 1"
    )
    return Query(sql, p.bound, aliases)


def _aggregate(dialect: Dialect, m: MetricRequest) -> str:
    c = dialect.quote(m.column) if m.column else ""
    if m.metric_type == "row_count":
        return "count(*)"
    if m.metric_type == "null_count":
        return dialect.count_if(f"{c} IS NULL")
    if m.metric_type == "distinct_count":
        return f"count(DISTINCT {c})"
    if m.metric_type == "max_length":
        return f"max(length({dialect.cast(c, 'text')}))"
    if m.metric_type == "median":
        return dialect.median(c)
    fn = {"min": "min", "max": "max", "mean": "avg", "sum": "sum"}[m.metric_type]
    return dialect.cast(f"{fn}({c})", "double")

"""The one query that measures every metric of one object over a date range: one row per
bucket (`GROUP BY` the bucket), one aggregate per distinct (metric, column). Pure string
building: identifiers are quoted by the dialect (and were checked against the catalog before),
every value (dates, time zone, date format) is a bind parameter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from quality_service.domain.grain import buckets as grain_buckets

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
    date_family: str  # 'date' | 'timestamp' | 'timestamptz' | 'text' (see metrics.type_family)
    date_format: str
    grain: str
    timezone: str
    start: date
    end_exclusive: date
    metrics: tuple[MetricRequest, ...] = field(default_factory=tuple)
    # The date column leads a btree index: each bucket can be read by an index range.
    date_indexed: bool = False


@dataclass(frozen=True)
class Query:
    sql: str
    params: Any  # list for positional ($1) drivers, dict for named (:name) ones
    aliases: dict[str, tuple[str, str]]  # result column alias → (metric_type, column)


class Dialect(Protocol):
    name: str

    def build(self, spec: ScanSpec) -> Query: ...


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


class PostgresDialect:
    name = "postgres"

    @staticmethod
    def quote(ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def build(self, spec: ScanSpec) -> Query:
        if spec.date_indexed and spec.date_family != "text" and _sorts(spec.metrics):
            return self._per_bucket(spec)
        params: list[Any] = [spec.start, spec.end_exclusive]
        col = self.quote(spec.date_column)
        unit = GRAIN_UNIT[spec.grain]
        if spec.date_family == "timestamptz":
            params.append(spec.timezone)
            tz = f"${len(params)}"
            local = f"({col} AT TIME ZONE {tz})"
            # Bounds are converted once, so an index on the column still serves the range.
            where = (
                f"{col} >= ($1::date::timestamp AT TIME ZONE {tz}) "
                f"AND {col} < ($2::date::timestamp AT TIME ZONE {tz})"
            )
        elif spec.date_family == "text":
            params.append(spec.date_format)
            local = f"to_date({col}, ${len(params)})::timestamp"
            where = f"{local} >= $1::date AND {local} < $2::date"
        else:  # date or timestamp without time zone
            local = f"{col}::timestamp"
            where = f"{col} >= $1::date AND {col} < $2::date"
        bucket = f"date_trunc('{unit}', {local})::date"
        aliases, aggs = _select_list(spec.metrics, self._aggregate)
        table = ".".join(self.quote(part) for part in spec.table)
        select = ", ".join([f"{bucket} AS bucket", *aggs])
        sql = f"SELECT {select} FROM {table} WHERE {where} GROUP BY 1 ORDER BY 1"
        return Query(sql, params, aliases)

    def _per_bucket(self, spec: ScanSpec) -> Query:
        """Still one statement reading each row once, but bucket by bucket: each bucket's rows
        come from an index range and are aggregated alone. DISTINCT and median then sort one
        bucket in memory instead of the whole range on disk (the GROUP BY plan must sort every
        row by bucket first, and cannot run in parallel): 1.5x faster on 5M rows."""
        starts = grain_buckets(spec.start, spec.end_exclusive - timedelta(days=1), spec.grain)
        ends = [*starts[1:], spec.end_exclusive]
        params: list[Any] = [starts, ends]
        col = self.quote(spec.date_column)
        if spec.date_family == "timestamptz":
            params.append(spec.timezone)
            lo = f"(b.bucket::timestamp AT TIME ZONE ${len(params)})"
            hi = f"(b.next::timestamp AT TIME ZONE ${len(params)})"
        elif spec.date_family == "timestamp":
            lo, hi = "b.bucket::timestamp", "b.next::timestamp"
        else:
            lo, hi = "b.bucket", "b.next"
        aliases, aggs = _select_list(spec.metrics, self._aggregate)
        table = ".".join(self.quote(part) for part in spec.table)
        sql = (
            "SELECT b.bucket, m.* FROM unnest($1::date[], $2::date[]) AS b(bucket, next) "
            f"CROSS JOIN LATERAL (SELECT {', '.join(aggs)} FROM {table} "
            f"WHERE {col} >= {lo} AND {col} < {hi}) m ORDER BY 1"
        )
        return Query(sql, params, aliases)

    def _aggregate(self, m: MetricRequest) -> str:
        c = self.quote(m.column) if m.column else ""
        return {
            "row_count": "count(*)",
            "null_count": f"count(*) FILTER (WHERE {c} IS NULL)",
            "distinct_count": f"count(DISTINCT {c})",
            "max_length": f"max(length({c}::text))",
            "min": f"min({c})::float8",
            "max": f"max({c})::float8",
            "mean": f"avg({c})::float8",
            "sum": f"sum({c})::float8",
            "median": _pg_median(c),
        }[m.metric_type]


# percentile_disc at 0.5 and just above it picks the lower and upper middle values (the same
# one when the count is odd: ceil(p·n) moves only when p·n crosses an integer, and 1e-13·n
# stays below 0.5 for any n under 5·10^12). Their mean is the median, computed in the
# column's own type: exact for numeric, where percentile_cont would first convert every value
# to float8 (slower, and inexact beyond 15 digits). Both calls are one aggregate to PostgreSQL.
_MIDDLES = "percentile_disc(ARRAY[0.5, 0.5000000000001]) WITHIN GROUP (ORDER BY {c})"


def _pg_median(c: str) -> str:
    middles = _MIDDLES.format(c=c)
    return f"(({middles})[1] / 2.0 + ({middles})[2] / 2.0)::float8"


class DatabricksDialect:
    """Databricks SQL (Spark SQL) with native named parameters (:name)."""

    name = "databricks"

    @staticmethod
    def quote(ident: str) -> str:
        return "`" + ident.replace("`", "``") + "`"

    def build(self, spec: ScanSpec) -> Query:
        params: dict[str, Any] = {"start": spec.start, "end": spec.end_exclusive}
        col = self.quote(spec.date_column)
        unit = GRAIN_UNIT[spec.grain].upper()
        if spec.date_family == "timestamptz":
            # Databricks TIMESTAMP is an instant; bucket it in the configured zone.
            params["tz"] = spec.timezone
            local = f"from_utc_timestamp({col}, :tz)"
            where = (
                f"{col} >= to_utc_timestamp(CAST(:start AS TIMESTAMP), :tz) "
                f"AND {col} < to_utc_timestamp(CAST(:end AS TIMESTAMP), :tz)"
            )
        elif spec.date_family == "text":
            params["fmt"] = spec.date_format
            local = f"to_date({col}, :fmt)"
            where = f"{local} >= CAST(:start AS DATE) AND {local} < CAST(:end AS DATE)"
        else:
            local = f"CAST({col} AS TIMESTAMP)"
            where = f"{col} >= CAST(:start AS DATE) AND {col} < CAST(:end AS DATE)"
        bucket = f"CAST(date_trunc('{unit}', {local}) AS DATE)"
        aliases, aggs = _select_list(spec.metrics, self._aggregate)
        table = ".".join(self.quote(part) for part in spec.table)
        select = ", ".join([f"{bucket} AS bucket", *aggs])
        sql = f"SELECT {select} FROM {table} WHERE {where} GROUP BY 1 ORDER BY 1"
        return Query(sql, params, aliases)

    def _aggregate(self, m: MetricRequest) -> str:
        c = self.quote(m.column) if m.column else ""
        return {
            "row_count": "count(*)",
            "null_count": f"count_if({c} IS NULL)",
            "distinct_count": f"count(DISTINCT {c})",
            "max_length": f"max(length(CAST({c} AS STRING)))",
            "min": f"CAST(min({c}) AS DOUBLE)",
            "max": f"CAST(max({c}) AS DOUBLE)",
            "mean": f"CAST(avg({c}) AS DOUBLE)",
            "sum": f"CAST(sum({c}) AS DOUBLE)",
            "median": f"percentile({c}, 0.5)",
        }[m.metric_type]


DIALECTS: dict[str, Dialect] = {"postgres": PostgresDialect(), "databricks": DatabricksDialect()}

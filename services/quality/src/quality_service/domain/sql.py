"""The one query that measures every metric of one object over a date range: one row per
bucket (`GROUP BY` the bucket), one aggregate per distinct (metric, column). Pure string
building: identifiers are quoted by the dialect (and were checked against the catalog before),
every value (dates, time zone, date format) is a bind parameter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

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


@dataclass(frozen=True)
class Query:
    sql: str
    params: Any  # list for positional ($1) drivers, dict for named (:name) ones
    aliases: dict[str, tuple[str, str]]  # result column alias → (metric_type, column)


class Dialect(Protocol):
    name: str

    def build(self, spec: ScanSpec) -> Query: ...


def _unique(metrics: tuple[MetricRequest, ...]) -> list[MetricRequest]:
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
        aliases, aggs = {}, []
        for i, m in enumerate(_unique(spec.metrics)):
            alias = f"m{i}"
            aliases[alias] = m.key
            aggs.append(f"{self._aggregate(m)} AS {alias}")
        table = ".".join(self.quote(part) for part in spec.table)
        select = ", ".join([f"{bucket} AS bucket", *aggs])
        sql = f"SELECT {select} FROM {table} WHERE {where} GROUP BY 1 ORDER BY 1"
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
            "median": f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {c})::float8",
        }[m.metric_type]


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
        aliases, aggs = {}, []
        for i, m in enumerate(_unique(spec.metrics)):
            alias = f"m{i}"
            aliases[alias] = m.key
            aggs.append(f"{self._aggregate(m)} AS {alias}")
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

"""The metrics an expectation can measure, and which column types each one accepts."""

from __future__ import annotations

from dataclasses import dataclass

from dckit.errors import InvalidArgument

# Column type families, from the catalog's data_type strings (PostgreSQL and Databricks).
_NUMERIC = (
    "smallint", "integer", "bigint", "int", "int2", "int4", "int8", "tinyint", "numeric",
    "decimal", "real", "double", "double precision", "float", "float4", "float8", "money",
)  # fmt: skip
_TEXT = ("text", "character varying", "varchar", "character", "char", "string", "citext", "bpchar")
_TEMPORAL_TZ = ("timestamp with time zone", "timestamptz", "timestamp")  # Databricks: UTC
_TEMPORAL_NAIVE = ("timestamp without time zone", "timestamp_ntz")


def type_family(data_type: str) -> str:
    """'numeric' | 'text' | 'date' | 'timestamptz' | 'timestamp' | 'other'."""
    base = data_type.lower().split("(")[0].strip()
    if base in _NUMERIC:
        return "numeric"
    if base in _TEXT:
        return "text"
    if base == "date":
        return "date"
    if base in _TEMPORAL_NAIVE:
        return "timestamp"
    if base in _TEMPORAL_TZ:
        return "timestamptz"
    return "other"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    needs_column: bool
    families: frozenset[str] | None  # None = any column type


_ANY = None
METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("row_count", False, _ANY),
        MetricSpec("null_count", True, _ANY),
        MetricSpec("distinct_count", True, _ANY),
        MetricSpec("max_length", True, frozenset({"text"})),
        MetricSpec("min", True, frozenset({"numeric"})),
        MetricSpec("max", True, frozenset({"numeric"})),
        MetricSpec("mean", True, frozenset({"numeric"})),
        MetricSpec("sum", True, frozenset({"numeric"})),
        MetricSpec("median", True, frozenset({"numeric"})),
    )
}

# Metrics whose value for a bucket without rows is 0 (the others have no value: no_data).
ZERO_WHEN_EMPTY = frozenset({"row_count", "null_count", "distinct_count"})


def validate_metric(metric_type: str, column: str, columns: dict[str, str]) -> str:
    """Checks an expectation's metric and column against the catalog's columns
    (name → data_type); returns the normalised column ('' for row_count)."""
    spec = METRICS.get(metric_type)
    if spec is None:
        raise InvalidArgument(
            f"unknown metric_type {metric_type!r}; expected one of {', '.join(METRICS)}"
        )
    if not spec.needs_column:
        if column:
            raise InvalidArgument(f"metric {metric_type} takes no column")
        return ""
    if not column:
        raise InvalidArgument(f"metric {metric_type} needs a column")
    if column not in columns:
        raise InvalidArgument(f"column {column!r} is not in the catalog for this object")
    family = type_family(columns[column])
    if spec.families is not None and family not in spec.families:
        raise InvalidArgument(
            f"metric {metric_type} needs a {' or '.join(sorted(spec.families))} column; "
            f"{column!r} is {columns[column]}"
        )
    return column

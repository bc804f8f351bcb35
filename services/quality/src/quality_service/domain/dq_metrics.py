"""The metrics an expectation can measure, and which column types each one accepts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dcconnectors.dialect import Dialect
from dcconnectors.types import NUMERIC, TEXT
from dckit.errors import InvalidArgument


@dataclass(frozen=True)
class MetricSpec:
    name: str
    needs_column: bool
    families: frozenset[str] | None  # dcconnectors.types; None = any column type


_ANY = None
METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("row_count", False, _ANY),
        MetricSpec("null_count", True, _ANY),
        MetricSpec("distinct_count", True, _ANY),
        MetricSpec("max_length", True, frozenset({TEXT})),
        MetricSpec("min", True, frozenset({NUMERIC})),
        MetricSpec("max", True, frozenset({NUMERIC})),
        MetricSpec("mean", True, frozenset({NUMERIC})),
        MetricSpec("sum", True, frozenset({NUMERIC})),
        MetricSpec("median", True, frozenset({NUMERIC})),
    )
}

# Metrics whose value is computed from the column's own values (a masked column's min, max,
# mean, sum or median would reveal what the mask hides); counts and lengths are not.
VALUE_METRICS = frozenset({"min", "max", "mean", "sum", "median"})


def withheld(row: Mapping[str, Any]) -> dict[str, Any]:
    """A result or breach without the numbers read from its column (value and thresholds,
    which are learnt from past values)."""
    return {**row, "value": None, "threshold_low": None, "threshold_high": None}


def without_values(row: Mapping[str, Any], column: str, metric_type: str) -> dict[str, Any]:
    """`row` as it may travel to anyone (events, notices): value metrics of a column withheld."""
    if column and metric_type in VALUE_METRICS:
        return withheld(row)
    return dict(row)


# Metrics whose value for a bucket without rows is 0 (the others have no value: no_data).
ZERO_WHEN_EMPTY = frozenset({"row_count", "null_count", "distinct_count"})


def validate_metric(
    metric_type: str, column: str, columns: dict[str, str], dialect: Dialect
) -> str:
    """Checks an expectation's metric and column against the catalog's columns
    (name → data_type, typed in `dialect`); returns the normalised column ('' for row_count)."""
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
    family = dialect.type_family(columns[column])
    if spec.families is not None and family not in spec.families:
        raise InvalidArgument(
            f"metric {metric_type} needs a {' or '.join(sorted(spec.families))} column; "
            f"{column!r} is {columns[column]}"
        )
    return column

"""statistical_threshold: a statistic of the column (or the row count) within [min, max]."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.dialect import Dialect
from dcconnectors.types import NUMERIC
from dckit.errors import InvalidArgument
from quality_service.domain.rule_types.base import (
    CheckOutcome,
    Judging,
    RuleSpec,
    RuleType,
    Sql,
    Validation,
    as_float,
    bounds,
)
from quality_service.domain.rule_types.config import choice, min_max, need_family

STATISTICS = (
    "mean",
    "median",
    "min",
    "max",
    "sum",
    "stddev",
    "variance",
    "row_count",
    "null_count",
    "distinct_count",
)
NUMERIC_STATISTICS = frozenset({"mean", "median", "min", "max", "sum", "stddev", "variance"})
_FUNCTIONS = {
    "mean": "avg",
    "min": "min",
    "max": "max",
    "sum": "sum",
    "stddev": "stddev_samp",
    "variance": "var_samp",
}


class StatisticalThreshold(RuleType):
    name = "statistical_threshold"
    category = "distribution"
    level = "either"  # row_count needs no column
    value_measure = True

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        stat = choice(cfg, "statistic", STATISTICS)
        if stat != "row_count" and not column:
            raise InvalidArgument(f"column: statistic {stat} needs a column")
        if stat in NUMERIC_STATISTICS:
            need_family(
                self.name, column, v.columns, frozenset({NUMERIC}), f"numeric (statistic {stat})"
            )
        lo, hi = min_max(cfg)
        return {"statistic": stat, "min": lo, "max": hi}

    def aggregates(self, spec: RuleSpec, sql: Sql) -> dict[str, str]:
        col = sql.col(spec.column) if spec.column else ""
        return {"value": _statistic(spec.config["statistic"], col, sql.d)}

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        c = spec.config
        value = as_float(v["value"])
        o.measured_value = value
        o.threshold_value = as_float(c["max"] if c["max"] is not None else c["min"])
        o.details.update(min=c["min"], max=c["max"])
        if value is None:
            o.details["reason"] = "no values"
            return False
        return (c["min"] is None or value >= c["min"]) and (c["max"] is None or value <= c["max"])

    def expected(self, spec: RuleSpec) -> str:
        c = spec.config
        return bounds(c["min"], c["max"], c["statistic"])


def _statistic(stat: str, col: str, d: Dialect) -> str:
    if stat == "row_count":
        return "count(*)"
    if stat == "null_count":
        return d.count_if(f"{col} IS NULL")
    if stat == "distinct_count":
        return f"count(DISTINCT {col})"
    if stat == "median":
        return d.cast(d.percentile(col, 0.5), "double")
    return d.cast(f"{_FUNCTIONS[stat]}({col})", "double")


RULE = StatisticalThreshold()

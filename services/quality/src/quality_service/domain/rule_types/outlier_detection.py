"""outlier_detection: values outside the IQR fences (q1 - k·IQR, q3 + k·IQR) or more than k
standard deviations from the mean are at most `max_outlier_percent` of all rows; the statistics
come from a subquery, in a pass of its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.types import NUMERIC
from quality_service.domain.rule_types.base import (
    CheckOutcome,
    Judging,
    RuleSpec,
    RuleType,
    Sql,
    Validation,
    as_float,
    g,
    percent,
)
from quality_service.domain.rule_types.config import choice, err, need_family, number

METHODS = ("iqr", "z_score")


class OutlierDetection(RuleType):
    name = "outlier_detection"
    category = "distribution"
    own_pass = "outliers"
    share_of_rows = True

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        need_family(self.name, column, v.columns, frozenset({NUMERIC}), "numeric")
        method = choice(cfg, "method", METHODS, "iqr")
        k = number(cfg, "sensitivity", 1.5 if method == "iqr" else 3.0, lo=0)
        if k <= 0:
            raise err("sensitivity", "must be > 0")
        return {
            "method": method,
            "sensitivity": k,
            "max_outlier_percent": number(cfg, "max_outlier_percent", 5.0, lo=0, hi=100),
        }

    def _parts(self, spec: RuleSpec, sql: Sql, table: str) -> tuple[str, str]:
        """(statistics subquery giving s.lo/s.hi — or mean/sd for z_score —, outlier test)."""
        d, col = sql.d, sql.col(spec.column)
        value = d.cast("a." + col, "double")
        k = sql.b(float(spec.config["sensitivity"]), "double")
        if spec.config["method"] == "iqr":
            quartiles = (
                f"SELECT {d.cast(d.percentile(col, 0.25), 'double')} AS q1, "
                f"{d.cast(d.percentile(col, 0.75), 'double')} AS q3 FROM {table}"
            )
            stats = (
                f"SELECT q1 - {k} * (q3 - q1) AS lo, q3 + {k} * (q3 - q1) AS hi "
                f"FROM ({quartiles}) qs"
            )
            return stats, f"{value} < s.lo OR {value} > s.hi"
        moments = (
            f"SELECT {d.cast(f'avg({col})', 'double')} AS m, "
            f"{d.cast(f'stddev_samp({col})', 'double')} AS sd FROM {table}"
        )
        # lo/hi carry mean and std dev here (reported as details).
        stats = f"SELECT m AS lo, sd AS hi FROM ({moments}) ms"
        return stats, f"s.hi > 0 AND abs({value} - s.lo) > {k} * s.hi"

    def batch_part(
        self, spec: RuleSpec, sql: Sql, table: str, reference_table: str
    ) -> tuple[str, str, str, str]:
        stats, outlier = self._parts(spec, sql, table)
        return (
            f"FROM {table} a CROSS JOIN ({stats}) s",
            sql.d.count_if(outlier),
            "max(s.lo)",
            "max(s.hi)",
        )

    def sample(self, spec: RuleSpec, sql: Sql, table: str, reference_table: str) -> str | None:
        stats, outlier = self._parts(spec, sql, table)
        return f"FROM {table} a CROSS JOIN ({stats}) s WHERE {outlier}"

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        c = spec.config
        count = int(v["v1"])
        pct = percent(count, j.total)
        o.failure_count, o.failure_percentage, o.measured_value = count, pct, pct
        o.threshold_value = float(c["max_outlier_percent"])
        if c["method"] == "iqr":
            o.details.update(lower_bound=as_float(v["v2"]), upper_bound=as_float(v["v3"]))
        else:
            o.details.update(mean=as_float(v["v2"]), std_dev=as_float(v["v3"]))
        return pct is not None and pct <= c["max_outlier_percent"]

    def expected(self, spec: RuleSpec) -> str:
        c = spec.config
        return (
            f"outliers ({c['method']}, k={g(c['sensitivity'])}) in <= "
            f"{g(c['max_outlier_percent'])}% of rows"
        )


RULE = OutlierDetection()

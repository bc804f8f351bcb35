"""distribution_check: the column's mean and/or standard deviation within `tolerance` (a share)
of the expected ones."""

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
)
from quality_service.domain.rule_types.config import choice, err, need_family, number

DISTRIBUTIONS = ("normal",)


class DistributionCheck(RuleType):
    name = "distribution_check"
    category = "distribution"
    value_measure = True

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        need_family(self.name, column, v.columns, frozenset({NUMERIC}), "numeric")
        mean, sd = number(cfg, "mean"), number(cfg, "std_dev", lo=0)
        if mean is None and sd is None:
            raise err("mean", "give mean, std_dev or both")
        return {
            "expected_distribution": choice(cfg, "expected_distribution", DISTRIBUTIONS, "normal"),
            "mean": mean,
            "std_dev": sd,
            "tolerance": number(cfg, "tolerance", 0.1, lo=0),
        }

    def aggregates(self, spec: RuleSpec, sql: Sql) -> dict[str, str]:
        col = sql.col(spec.column)
        return {
            "mean": sql.d.cast(f"avg({col})", "double"),
            "std_dev": sql.d.cast(f"stddev_samp({col})", "double"),
        }

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        c = spec.config
        mean, sd = as_float(v["mean"]), as_float(v["std_dev"])
        o.details.update(
            mean=mean, std_dev=sd, expected_mean=c["mean"], expected_std_dev=c["std_dev"]
        )
        o.threshold_value = float(c["tolerance"])
        o.measured_value = mean if c["mean"] is not None else sd
        return all(
            _within(got, c[name], c["tolerance"])
            for name, got in (("mean", mean), ("std_dev", sd))
            if c[name] is not None
        )

    def expected(self, spec: RuleSpec) -> str:
        c = spec.config
        return ", ".join(
            f"{k} {g(c[k])} ± {g(c['tolerance'] * 100)}%"
            for k in ("mean", "std_dev")
            if c[k] is not None
        )


def _within(got: float | None, expected: float, tolerance: float) -> bool:
    if got is None:
        return False
    allowed = tolerance * abs(expected) if expected else tolerance
    return abs(got - expected) <= allowed + 1e-12 * max(1.0, abs(expected))


RULE = DistributionCheck()

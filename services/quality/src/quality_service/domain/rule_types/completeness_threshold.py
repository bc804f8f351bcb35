"""completeness_threshold: at least `threshold_percent` of rows have a value (non-NULL, and with
`allow_empty` false, non-empty)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.types import TEXT
from quality_service.domain.rule_types.base import (
    CheckOutcome,
    Judging,
    RuleSpec,
    RuleType,
    Sql,
    Validation,
    g,
)
from quality_service.domain.rule_types.config import boolean, need_family, number


class CompletenessThreshold(RuleType):
    name = "completeness_threshold"
    category = "completeness"
    share_of_rows = True

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        allow_empty = boolean(cfg, "allow_empty", True)
        if not allow_empty:
            need_family(self.name, column, v.columns, frozenset({TEXT}), "text (allow_empty false)")
        return {
            "threshold_percent": number(cfg, "threshold_percent", 95.0, lo=0, hi=100),
            "allow_empty": allow_empty,
        }

    def aggregates(self, spec: RuleSpec, sql: Sql) -> dict[str, str]:
        col = sql.col(spec.column)
        ok = f"{col} IS NOT NULL"
        if not spec.config["allow_empty"]:
            ok += f" AND trim({col}) <> ''"
        return {"complete": sql.d.count_if(ok)}

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        complete, total = int(v["complete"]), j.total
        o.threshold_value = float(spec.config["threshold_percent"])
        if not total:
            o.failure_count, o.failure_percentage = 0, 0.0
            return True  # no rows: nothing is incomplete
        o.measured_value = complete / total * 100.0
        o.failure_count = total - complete
        o.failure_percentage = 100.0 - o.measured_value
        return o.measured_value >= spec.config["threshold_percent"]

    def expected(self, spec: RuleSpec) -> str:
        what = "non-NULL" if spec.config["allow_empty"] else "non-NULL, non-empty"
        return f"{what} in >= {g(spec.config['threshold_percent'])}% of rows"


RULE = CompletenessThreshold()

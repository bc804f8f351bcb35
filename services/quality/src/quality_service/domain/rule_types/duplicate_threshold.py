"""duplicate_threshold: rows repeating another row's `columns` (all columns by default; NULLs
count as equal) are at most `max_duplicate_percent` of all rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quality_service.domain.rule_types.base import (
    CheckOutcome,
    Judging,
    RuleSpec,
    RuleType,
    Sql,
    Validation,
    g,
    percent,
)
from quality_service.domain.rule_types.config import column_list, err, number


class DuplicateThreshold(RuleType):
    name = "duplicate_threshold"
    category = "uniqueness"
    level = "either"
    own_pass = "groups"
    share_of_rows = True
    group_samples = True

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        cols = column_list(cfg, "columns", v.columns, required=False)
        if cols is None:
            cols = [column] if column else list(v.columns)
        if not cols:
            raise err("columns", "the object has no columns")
        return {
            "columns": cols,
            "max_duplicate_percent": number(cfg, "max_duplicate_percent", 0, lo=0, hi=100),
        }

    def columns(self, spec: RuleSpec) -> list[str]:
        return list(spec.config["columns"])

    def batch_part(
        self, spec: RuleSpec, sql: Sql, table: str, reference_table: str
    ) -> tuple[str, str, str, str]:
        cols = ", ".join(sql.col(x) for x in self.columns(spec))
        inner = f"SELECT count(*) AS n FROM {table} GROUP BY {cols} HAVING count(*) > 1"
        return f"FROM ({inner}) d", "coalesce(sum(n - 1), 0)", "count(*)", "coalesce(sum(n), 0)"

    def sample(self, spec: RuleSpec, sql: Sql, table: str, reference_table: str) -> str | None:
        cols = ", ".join(sql.col(x, "a.") for x in self.columns(spec))
        return f"FROM {table} a GROUP BY {cols} HAVING count(*) > 1 ORDER BY count(*) DESC"

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        extra = int(v["v1"])
        pct = percent(extra, j.total)
        o.failure_count, o.failure_percentage, o.measured_value = extra, pct, pct
        o.threshold_value = float(spec.config["max_duplicate_percent"])
        o.details.update(duplicate_groups=int(v["v2"]), rows_in_duplicates=int(v["v3"]))
        return pct is not None and pct <= spec.config["max_duplicate_percent"]

    def expected(self, spec: RuleSpec) -> str:
        return f"duplicate rows <= {g(spec.config['max_duplicate_percent'])}%"


RULE = DuplicateThreshold()

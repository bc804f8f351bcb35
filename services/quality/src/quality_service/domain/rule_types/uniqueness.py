"""Uniqueness of non-NULL values, one code with the key as its parameter: unique (one column)
and unique_combination (several). Each needs a GROUP BY pass of its own; the failing rows are
the rows of duplicated keys, the samples the duplicated keys with their occurrences."""

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
    judge_failing_rows,
    tolerance,
)
from quality_service.domain.rule_types.config import column_list


class Unique(RuleType):
    name = "unique"
    category = "uniqueness"
    row_level = True
    own_pass = "groups"
    group_samples = True

    def columns(self, spec: RuleSpec) -> list[str]:
        return [spec.column]

    def batch_part(
        self, spec: RuleSpec, sql: Sql, table: str, reference_table: str
    ) -> tuple[str, str, str, str]:
        cols = [sql.col(x) for x in self.columns(spec)]
        not_null = " AND ".join(f"{x} IS NOT NULL" for x in cols)
        inner = (
            f"SELECT count(*) AS n FROM {table} WHERE {not_null} "
            f"GROUP BY {', '.join(cols)} HAVING count(*) > 1"
        )
        return f"FROM ({inner}) d", "coalesce(sum(n), 0)", "count(*)", sql.d.cast("NULL", "double")

    def sample(self, spec: RuleSpec, sql: Sql, table: str, reference_table: str) -> str | None:
        cols = [sql.col(x, "a.") for x in self.columns(spec)]
        not_null = " AND ".join(f"{x} IS NOT NULL" for x in cols)
        return (
            f"FROM {table} a WHERE {not_null} GROUP BY {', '.join(cols)} "
            "HAVING count(*) > 1 ORDER BY count(*) DESC"
        )

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        passed = judge_failing_rows(o, spec, int(v["v1"]), j.total)
        o.details["duplicated_values"] = int(v["v2"])
        return passed

    def expected(self, spec: RuleSpec) -> str:
        return f"no duplicated values{tolerance(spec)}"


class UniqueCombination(Unique):
    name = "unique_combination"
    level = "capsule"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        return {"columns": column_list(cfg, "columns", v.columns, required=True)}

    def columns(self, spec: RuleSpec) -> list[str]:
        return list(spec.config["columns"])

    def expected(self, spec: RuleSpec) -> str:
        return f"({', '.join(spec.config['columns'])}) unique{tolerance(spec)}"


UNIQUE = Unique()
UNIQUE_COMBINATION = UniqueCombination()

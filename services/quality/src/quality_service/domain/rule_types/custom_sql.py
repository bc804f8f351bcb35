"""custom_sql: an admin's read-only query returning the failing rows; at most `max_failures`
of them. It runs as a subquery in a pass of its own, and its samples are whatever it selects
(for admins only: no masking rule can follow columns it renames)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from quality_service.domain.rule_types.base import (
    CheckOutcome,
    Judging,
    RuleSpec,
    RuleType,
    Sql,
    Validation,
    percent,
)
from quality_service.domain.rule_types.config import err, integer, string

_SQL_START = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


class CustomSql(RuleType):
    name = "custom_sql"
    category = "custom"
    level = "capsule"
    own_pass = "custom"
    own_columns = True
    admin_only = True

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        sql = string(cfg, "sql").strip()
        if sql.endswith(";"):
            sql = sql[:-1].rstrip()
        if not sql:
            raise err("sql", "must not be empty")
        if ";" in sql:
            raise err("sql", "must be a single statement (no ';' except a trailing one)")
        if not _SQL_START.match(sql):
            raise err("sql", "must be a SELECT or WITH query returning the failing rows")
        return {"sql": sql, "max_failures": integer(cfg, "max_failures", 0)}

    def columns(self, spec: RuleSpec) -> list[str]:
        return []

    def batch_part(
        self, spec: RuleSpec, sql: Sql, table: str, reference_table: str
    ) -> tuple[str, str, str, str]:
        null = sql.d.cast("NULL", "double")
        return f"FROM (\n{spec.config['sql']}\n) q", "count(*)", null, null

    def sample(self, spec: RuleSpec, sql: Sql, table: str, reference_table: str) -> str | None:
        return f"FROM (\n{spec.config['sql']}\n) q"

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        failures = int(v["v1"])
        o.failure_count, o.measured_value = failures, float(failures)
        o.failure_percentage = percent(failures, j.total)
        o.threshold_value = float(spec.config["max_failures"])
        return failures <= spec.config["max_failures"]

    def expected(self, spec: RuleSpec) -> str:
        return f"<= {spec.config['max_failures']} rows returned"


RULE = CustomSql()

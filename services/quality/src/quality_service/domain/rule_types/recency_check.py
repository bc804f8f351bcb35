"""recency_check: at least `min_rows` rows dated within the last `window`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from dcconnectors.dialect import Dialect
from dcconnectors.types import TEMPORAL, TIMESTAMPTZ
from quality_service.domain.json_values import json_safe
from quality_service.domain.rule_types.base import (
    CheckOutcome,
    Judging,
    RuleSpec,
    RuleType,
    Sql,
    Validation,
    g,
)
from quality_service.domain.rule_types.config import (
    duration,
    duration_seconds,
    integer,
    need_family,
)


class RecencyCheck(RuleType):
    name = "recency_check"
    category = "timeliness"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        need_family(self.name, column, v.columns, TEMPORAL, "date or timestamp")
        return {"window": duration(cfg, "window"), "min_rows": integer(cfg, "min_rows", 1, lo=1)}

    def aggregates(self, spec: RuleSpec, sql: Sql) -> dict[str, str]:
        assert sql.now is not None  # the shared scan always carries the time of the check
        cutoff = self.cutoff(spec, sql.d, sql.columns, sql.now)
        family = sql.d.type_family(sql.columns[spec.column])
        param = sql.b(cutoff, "timestamptz" if family == TIMESTAMPTZ else "timestamp")
        return {"recent": sql.d.count_if(f"{sql.col(spec.column)} >= {param}")}

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        recent = int(v["recent"])
        o.measured_value, o.threshold_value = float(recent), float(spec.config["min_rows"])
        o.details["since"] = json_safe(self.cutoff(spec, j.dialect, j.columns, j.now))
        return recent >= spec.config["min_rows"]

    def expected(self, spec: RuleSpec) -> str:
        window = spec.config["window"]
        shown = window if isinstance(window, str) else f"{g(window)}s"
        return f">= {spec.config['min_rows']} rows in the last {shown}"

    @staticmethod
    def cutoff(
        spec: RuleSpec, dialect: Dialect, columns: Mapping[str, str], now: datetime
    ) -> datetime:
        """now - window; naive UTC for columns without a time zone (dates, timestamp)."""
        seconds = duration_seconds(spec.config["window"], "window")
        cutoff = now.astimezone(UTC) - timedelta(seconds=seconds)
        if dialect.type_family(columns[spec.column]) == TIMESTAMPTZ:
            return cutoff
        return cutoff.replace(tzinfo=None)


RULE = RecencyCheck()

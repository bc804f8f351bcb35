"""freshness: the newest value of a date/timestamp column is at most `max_age` old."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from dcconnectors.types import TEMPORAL
from quality_service.domain.json_values import json_safe
from quality_service.domain.rule_types.base import (
    CheckOutcome,
    Judging,
    RuleSpec,
    RuleType,
    Sql,
    Validation,
)
from quality_service.domain.rule_types.config import duration, duration_seconds, need_family


class Freshness(RuleType):
    name = "freshness"
    category = "timeliness"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        need_family(self.name, column, v.columns, TEMPORAL, "date or timestamp")
        return {"max_age": duration(cfg, "max_age")}

    def aggregates(self, spec: RuleSpec, sql: Sql) -> dict[str, str]:
        return {"newest": f"max({sql.col(spec.column)})"}

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        max_age = duration_seconds(spec.config["max_age"], "max_age")
        o.threshold_value = max_age
        newest = v["newest"]
        if newest is None:
            o.details["reason"] = "no values"
            return False
        o.measured_value = (j.now - _instant(newest)).total_seconds()
        o.details["newest"] = json_safe(newest)
        return o.measured_value <= max_age

    def expected(self, spec: RuleSpec) -> str:
        max_age = spec.config["max_age"]
        return f"newest value at most {max_age}{'' if isinstance(max_age, str) else 's'} old"


def _instant(value: Any) -> datetime:
    """A max() of a date/timestamp column as an aware instant (naive values are UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


RULE = Freshness()

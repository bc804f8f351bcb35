"""range_check: numeric values within [min, max] (or the open interval, `inclusive` false)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.types import NUMERIC
from quality_service.domain.rule_types.base import (
    PredicateRule,
    RuleSpec,
    Sql,
    Validation,
    bounds,
    tolerance,
)
from quality_service.domain.rule_types.config import boolean, min_max, need_family


class RangeCheck(PredicateRule):
    name = "range_check"
    category = "validity"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        need_family(self.name, column, v.columns, frozenset({NUMERIC}), "numeric")
        lo, hi = min_max(cfg)
        return {"min": lo, "max": hi, "inclusive": boolean(cfg, "inclusive", True)}

    def predicate(self, spec: RuleSpec, sql: Sql, prefix: str = "") -> str:
        c, col, b = spec.config, sql.col(spec.column, prefix), sql.b
        lo_op, hi_op = ("<", ">") if c["inclusive"] else ("<=", ">=")
        parts = []
        if c["min"] is not None:
            parts.append(f"{col} {lo_op} {b(c['min'], 'numeric')}")
        if c["max"] is not None:
            parts.append(f"{col} {hi_op} {b(c['max'], 'numeric')}")
        return f"({' OR '.join(parts)})"

    def expected(self, spec: RuleSpec) -> str:
        c = spec.config
        return bounds(c["min"], c["max"], "value", c["inclusive"]) + tolerance(spec)


RULE = RangeCheck()

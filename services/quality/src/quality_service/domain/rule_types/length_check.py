"""length_check: the length of each value (as text) within [min_length, max_length]."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quality_service.domain.rule_types.base import (
    PredicateRule,
    RuleSpec,
    Sql,
    Validation,
    bounds,
    tolerance,
)
from quality_service.domain.rule_types.config import err, integer


class LengthCheck(PredicateRule):
    name = "length_check"
    category = "validity"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        lo, hi = integer(cfg, "min_length", None), integer(cfg, "max_length", None)
        if lo is None and hi is None:
            raise err("min_length", "give min_length, max_length or both")
        if lo is not None and hi is not None and lo > hi:
            raise err("min_length", "must be <= max_length")
        return {"min_length": lo, "max_length": hi}

    def predicate(self, spec: RuleSpec, sql: Sql, prefix: str = "") -> str:
        c, b = spec.config, sql.b
        length = f"length({sql.d.cast(sql.col(spec.column, prefix), 'text')})"
        parts = []
        if c["min_length"] is not None:
            parts.append(f"{length} < {b(c['min_length'], 'integer')}")
        if c["max_length"] is not None:
            parts.append(f"{length} > {b(c['max_length'], 'integer')}")
        return f"({' OR '.join(parts)})"

    def expected(self, spec: RuleSpec) -> str:
        c = spec.config
        return bounds(c["min_length"], c["max_length"], "length") + tolerance(spec)


RULE = LengthCheck()

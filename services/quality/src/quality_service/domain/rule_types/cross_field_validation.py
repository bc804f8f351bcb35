"""cross_field_validation: `left <operator> right` holds on every row where both have a value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.types import NUMERIC, TEMPORAL, TEXT
from quality_service.domain.rule_types.base import (
    PredicateRule,
    RuleSpec,
    Sql,
    Validation,
    tolerance,
)
from quality_service.domain.rule_types.config import choice, column_ref, err

OPERATORS = ("<", "<=", "=", "!=", ">", ">=")
_COMPARABLE = [frozenset({NUMERIC}), frozenset({TEXT}), TEMPORAL]


class CrossFieldValidation(PredicateRule):
    name = "cross_field_validation"
    category = "consistency"
    level = "capsule"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        columns = v.columns
        left, right = column_ref(cfg, "left", columns), column_ref(cfg, "right", columns)
        op = choice(cfg, "operator", OPERATORS)
        fl, fr = columns.family(left), columns.family(right)
        if fl != fr and not any(fl in group and fr in group for group in _COMPARABLE):
            raise err(
                "right",
                f"{right!r} ({columns[right]}) cannot be compared with {left!r} ({columns[left]})",
            )
        return {"left": left, "operator": op, "right": right}

    def columns(self, spec: RuleSpec) -> list[str]:
        c = spec.config
        return [c["left"], c["right"]] if c["left"] != c["right"] else [c["left"]]

    def predicate(self, spec: RuleSpec, sql: Sql, prefix: str = "") -> str:
        c = spec.config
        left, right = sql.col(c["left"], prefix), sql.col(c["right"], prefix)
        op = c["operator"]  # one of OPERATORS only
        return f"{left} IS NOT NULL AND {right} IS NOT NULL AND NOT ({left} {op} {right})"

    def expected(self, spec: RuleSpec) -> str:
        c = spec.config
        return f"{c['left']} {c['operator']} {c['right']}{tolerance(spec)}"


RULE = CrossFieldValidation()

"""value_in_set: every value is one of `allowed_values` (numbers compared as numbers, anything
else as text, optionally ignoring case)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from dcconnectors.types import NUMERIC, TEXT
from quality_service.domain.rule_types.base import (
    PredicateRule,
    RuleSpec,
    Sql,
    Validation,
    tolerance,
)
from quality_service.domain.rule_types.config import boolean, err

MAX_VALUES = 10_000


class ValueInSet(PredicateRule):
    name = "value_in_set"
    category = "validity"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        values = cfg.get("allowed_values")
        if not isinstance(values, list) or not values:
            raise err("allowed_values", "must be a non-empty list")
        if len(values) > MAX_VALUES:
            raise err("allowed_values", f"at most {MAX_VALUES} values")
        numeric = v.columns.family(column) == NUMERIC
        for i, value in enumerate(values):
            ok = (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
                if numeric
                else isinstance(value, (str, int, float, bool))
            )
            if not ok:
                raise err(
                    f"allowed_values[{i}]",
                    "must be a number" if numeric else "must be a string, number or boolean",
                )
        case_sensitive = boolean(cfg, "case_sensitive", True)
        return {"allowed_values": list(values), "case_sensitive": case_sensitive}

    def predicate(self, spec: RuleSpec, sql: Sql, prefix: str = "") -> str:
        d, b, c = sql.d, sql.b, spec.config
        col = sql.col(spec.column, prefix)
        family = d.type_family(sql.columns[spec.column])
        if family == NUMERIC:
            return f"{col} IS NOT NULL AND {d.not_in(col, c['allowed_values'], b, 'numeric')}"
        texts = [_as_text(v) for v in c["allowed_values"]]
        expr = col if family == TEXT else d.cast(col, "text")
        if not c["case_sensitive"]:
            expr, texts = f"lower({expr})", [v.lower() for v in texts]
        return f"{col} IS NOT NULL AND {d.not_in(expr, texts, b, 'text')}"

    def expected(self, spec: RuleSpec) -> str:
        values = ", ".join(str(v) for v in spec.config["allowed_values"])
        case = "" if spec.config["case_sensitive"] else " (ignoring case)"
        return f"value in {{{values}}}{case}{tolerance(spec)}"


def _as_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


RULE = ValueInSet()

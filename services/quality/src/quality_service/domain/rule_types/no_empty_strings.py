"""no_empty_strings: a text column has no empty (or, with `trim`, blank) strings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.types import TEXT
from quality_service.domain.rule_types.base import PredicateRule, RuleSpec, Sql, Validation, g
from quality_service.domain.rule_types.config import boolean, need_family


class NoEmptyStrings(PredicateRule):
    name = "no_empty_strings"
    category = "completeness"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        need_family(self.name, column, v.columns, frozenset({TEXT}), "text")
        return {"trim": boolean(cfg, "trim", True)}

    def predicate(self, spec: RuleSpec, sql: Sql, prefix: str = "") -> str:
        col = sql.col(spec.column, prefix)
        value = f"trim({col})" if spec.config["trim"] else col
        return f"{col} IS NOT NULL AND {value} = ''"

    def expected(self, spec: RuleSpec) -> str:
        return f"empty strings in <= {g(spec.config['max_failure_percent'])}% of rows"


RULE = NoEmptyStrings()

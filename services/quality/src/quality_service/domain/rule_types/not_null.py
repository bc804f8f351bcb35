"""not_null: the column has no NULL (within max_failure_percent)."""

from __future__ import annotations

from quality_service.domain.rule_types.base import PredicateRule, RuleSpec, Sql, g


class NotNull(PredicateRule):
    name = "not_null"
    category = "completeness"

    def predicate(self, spec: RuleSpec, sql: Sql, prefix: str = "") -> str:
        return f"{sql.col(spec.column, prefix)} IS NULL"

    def expected(self, spec: RuleSpec) -> str:
        return f"NULL in <= {g(spec.config['max_failure_percent'])}% of rows"


RULE = NotNull()

"""referential_integrity: every non-NULL value is present in `reference.reference_column`
(another object of the same source, looked up in the catalog), as an anti-join of its own."""

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
from quality_service.domain.rule_types.config import err, string


class ReferentialIntegrity(RuleType):
    name = "referential_integrity"
    category = "consistency"
    row_level = True
    own_pass = "reference"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        ref = string(cfg, "reference")
        parts = ref.split(".")
        if len(parts) != 3 or not all(parts):
            raise err("reference", "must be source.schema.table")
        if v.source_name and parts[0] != v.source_name:
            raise err("reference", f"must be in the same source ({v.source_name})")
        ref_column = string(cfg, "reference_column")
        if v.references is not None:
            obj = v.references.get(ref)
            if obj is None:
                raise err("reference", f"{ref} is not in the catalog")
            if v.source_name and obj.source_name != v.source_name:
                raise err("reference", f"must be in the same source ({v.source_name})")
            if ref_column not in obj.columns:
                raise err("reference_column", f"column {ref_column!r} is not in {ref}")
        return {"reference": ref, "reference_column": ref_column}

    def references(self, config: Mapping[str, Any]) -> list[str]:
        ref = config.get("reference")
        return [ref] if isinstance(ref, str) and ref else []

    def _orphan(self, spec: RuleSpec, sql: Sql, reference_table: str) -> str:
        col = sql.col(spec.column, "a.")
        ref_col = sql.col(spec.config["reference_column"], "r.")
        return (
            f"{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {reference_table} r "
            f"WHERE {ref_col} = {col})"
        )

    def batch_part(
        self, spec: RuleSpec, sql: Sql, table: str, reference_table: str
    ) -> tuple[str, str, str, str]:
        null = sql.d.cast("NULL", "double")
        rest = f"FROM {table} a WHERE {self._orphan(spec, sql, reference_table)}"
        return rest, "count(*)", null, null

    def sample(self, spec: RuleSpec, sql: Sql, table: str, reference_table: str) -> str | None:
        return f"FROM {table} a WHERE {self._orphan(spec, sql, reference_table)}"

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        return judge_failing_rows(o, spec, int(v["v1"]), j.total)

    def expected(self, spec: RuleSpec) -> str:
        c = spec.config
        return f"value present in {c['reference']}.{c['reference_column']}{tolerance(spec)}"


RULE = ReferentialIntegrity()

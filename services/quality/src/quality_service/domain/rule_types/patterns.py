"""Rules that test each value against a regular expression, one code with the pattern as its
parameter: pattern_match (the user's RE2 pattern), format_valid (a well-known format, the
profiler's table) and type_valid (text readable as a type)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors.types import TEXT
from quality_service.domain.formats import FORMATS
from quality_service.domain.rule_types.base import (
    PredicateRule,
    RuleSpec,
    Sql,
    Validation,
    tolerance,
)
from quality_service.domain.rule_types.config import (
    choice,
    compile_pattern,
    err,
    need_family,
    string,
)

MAX_PATTERN = 1000
# Shapes (not calendars: 2024-02-30 is a well-formed date here), the same on both engines.
_DATE = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
TYPE_PATTERNS = {
    "integer": r"^\s*[+-]?[0-9]+\s*$",
    "decimal": r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$",
    "boolean": r"(?i)^\s*(true|false|t|f|yes|no|y|n|on|off|1|0)\s*$",
    "date": rf"^\s*{_DATE}\s*$",
    "timestamp": (
        rf"^\s*{_DATE}([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
        r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?\s*$"
    ),
    "uuid": rf"^\s*{_UUID}\s*$",
}
VALUE_TYPES = tuple(TYPE_PATTERNS)


class PatternRule(PredicateRule):
    """A failing row has a value that does not match `regex(spec)`."""

    category = "validity"

    def regex(self, spec: RuleSpec) -> str:
        raise NotImplementedError

    def predicate(self, spec: RuleSpec, sql: Sql, prefix: str = "") -> str:
        d, col = sql.d, sql.col(spec.column, prefix)
        pattern = sql.b(self.regex(spec), "text")
        return f"{col} IS NOT NULL AND {d.not_matches(d.cast(col, 'text'), pattern)}"


class PatternMatch(PatternRule):
    name = "pattern_match"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        pattern = string(cfg, "pattern")
        if not pattern:
            raise err("pattern", "must not be empty")
        if len(pattern) > MAX_PATTERN:
            raise err("pattern", f"at most {MAX_PATTERN} characters")
        compile_pattern(pattern)
        return {"pattern": pattern, "pattern_description": string(cfg, "pattern_description", "")}

    def regex(self, spec: RuleSpec) -> str:
        return str(spec.config["pattern"])

    def expected(self, spec: RuleSpec) -> str:
        c = spec.config
        return f"matches {c['pattern_description'] or '/' + c['pattern'] + '/'}{tolerance(spec)}"


class FormatValid(PatternRule):
    name = "format_valid"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        return {"format": choice(cfg, "format", tuple(FORMATS))}

    def regex(self, spec: RuleSpec) -> str:
        return FORMATS[spec.config["format"]]  # the profiler's table

    def expected(self, spec: RuleSpec) -> str:
        return f"valid {spec.config['format']}{tolerance(spec)}"


class TypeValid(PatternRule):
    name = "type_valid"

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        need_family(self.name, column, v.columns, frozenset({TEXT}), "text")
        return {"type": choice(cfg, "type", VALUE_TYPES)}

    def regex(self, spec: RuleSpec) -> str:
        return TYPE_PATTERNS[spec.config["type"]]

    def expected(self, spec: RuleSpec) -> str:
        return f"readable as {spec.config['type']}{tolerance(spec)}"


PATTERN_MATCH = PatternMatch()
FORMAT_VALID = FormatValid()
TYPE_VALID = TypeValid()

"""Quality rules (docs/quality-rules.md): checking a rule against the catalog's columns before it
is stored or run, and what it expects in words. What varies by rule type lives in its module
under rule_types/ (registered by name); this module holds what every rule shares: its level
(column or capsule), severity, tolerance of failing rows and the refusal of unknown keys.
Pure: no I/O. The SQL is built in rule_sql; running it is application/check_engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dcconnectors.dialect import Dialect
from dckit.errors import InvalidArgument
from quality_service.domain import rule_types
from quality_service.domain.objects import CatalogObject
from quality_service.domain.rule_types.base import RuleSpec, Validation
from quality_service.domain.rule_types.config import Columns, err, number

SEVERITIES: tuple[str, ...] = ("info", "warning", "error", "critical")
MAX_NAME = 255
FIELDS = ("name", "config", "severity", "blocking", "enabled", "description")


@dataclass(frozen=True)
class QualityRuleSpec:
    """A new rule of an object (named apart): its column ('' for the object), type and
    config, and how a failure counts."""

    rule_type: str
    column: str = ""
    name: str = ""  # '' = derived from the type and column
    config: dict[str, Any] = field(default_factory=dict)
    severity: str = ""  # '' = warning
    blocking: bool = False
    enabled: bool = True
    description: str = ""


def snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit trail records of a rule."""
    return {k: row[k] for k in ("object_ref", "column_name", "rule_type", *FIELDS) if k in row}


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    spec: RuleSpec


def rule_type(name: str) -> rule_types.RuleType:
    """The registered type called `name`; InvalidArgument naming the known ones."""
    if name == "custom_function":
        raise InvalidArgument("rule_type: custom_function is not supported; use custom_sql")
    found = rule_types.find(name)
    if found is None:
        raise InvalidArgument(
            f"rule_type: unknown {name!r}; expected one of {', '.join(rule_types.RULE_TYPES)}"
        )
    return found


def validate(
    rule_type_name: str,
    column: str,
    config: Mapping[str, Any] | None,
    *,
    columns: Mapping[str, str],
    dialect: Dialect,
    references: Mapping[str, CatalogObject] | None = None,
    source_name: str = "",
    severity: str = "warning",
    blocking: bool = False,
) -> RuleSpec:
    """Checks a rule against the object's columns (name → data_type, typed in the source's
    `dialect`) and returns it with its config normalised. `references` (ref → object) are the
    objects the config names (see referenced_objects); without it only their form is
    checked."""
    kind = rule_type(rule_type_name)
    if severity not in SEVERITIES:
        raise InvalidArgument(f"severity: must be one of {', '.join(SEVERITIES)}")
    if not isinstance(blocking, bool):
        raise InvalidArgument("blocking: must be true or false")
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise InvalidArgument("rule_config: must be an object")
    column = column or ""
    if kind.level == "capsule" and column:
        raise InvalidArgument(f"column: {kind.name} is an object-level rule; leave column empty")
    if column and column not in columns:
        raise InvalidArgument(f"column: {column!r} is not in the catalog for this object")
    if kind.level == "column" and not column:
        raise InvalidArgument(f"column: {kind.name} needs a column")
    cfg = kind.validate(
        column, config, Validation(Columns(columns, dialect), references, source_name)
    )
    if kind.row_level:
        cfg["max_failure_percent"] = number(config, "max_failure_percent", 0, lo=0, hi=100)
    unknown = sorted(str(k) for k in config if k not in cfg)
    if unknown:
        raise err(
            unknown[0],
            f"unknown key for {kind.name}; allowed: {', '.join(sorted(cfg)) or 'none'}",
        )
    return RuleSpec(kind.name, kind.category, column, cfg, severity, blocking)


def referenced_objects(rule_type_name: str, config: Mapping[str, Any] | None) -> list[str]:
    """Object refs the caller must look up (and pass to validate/evaluate as `references`)."""
    kind = rule_types.find(rule_type_name)
    if kind is None or not isinstance(config, Mapping):
        return []
    return kind.references(config)


def expected_text(spec: RuleSpec) -> str:
    """What the rule expects, in words ('' for a config an older version of its type stored)."""
    kind = rule_types.find(spec.rule_type)
    if kind is None:
        return ""
    try:
        return kind.expected(spec)
    except (KeyError, TypeError, ValueError):
        return ""


def default_name(rule_type_name: str, column: str) -> str:
    return f"{column}_{rule_type_name}" if column else rule_type_name


def valid_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidArgument(f"name: 1 to {MAX_NAME} characters")
    return name

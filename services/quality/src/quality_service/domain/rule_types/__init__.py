"""The quality rule types, registered by name (docs/quality-rules.md). Each type lives in its
own module (base.py says what it provides); adding one is a module and one line below. The
order is the catalogue's: categories appear in it in this order too."""

from __future__ import annotations

from quality_service.domain.rule_types import (
    completeness_threshold,
    cross_field_validation,
    custom_sql,
    distribution_check,
    duplicate_threshold,
    freshness,
    length_check,
    no_empty_strings,
    not_null,
    outlier_detection,
    patterns,
    range_check,
    recency_check,
    referential_integrity,
    statistical_threshold,
    uniqueness,
    value_in_set,
)
from quality_service.domain.rule_types.base import RuleType

REGISTRY: dict[str, RuleType] = {}


def register(rule_type: RuleType) -> None:
    if rule_type.name in REGISTRY:
        raise ValueError(f"rule type {rule_type.name!r} is registered twice")
    REGISTRY[rule_type.name] = rule_type


register(not_null.RULE)
register(no_empty_strings.RULE)
register(completeness_threshold.RULE)
register(value_in_set.RULE)
register(patterns.PATTERN_MATCH)
register(patterns.FORMAT_VALID)
register(patterns.TYPE_VALID)
register(range_check.RULE)
register(length_check.RULE)
register(uniqueness.UNIQUE)
register(uniqueness.UNIQUE_COMBINATION)
register(duplicate_threshold.RULE)
register(referential_integrity.RULE)
register(cross_field_validation.RULE)
register(freshness.RULE)
register(recency_check.RULE)
register(distribution_check.RULE)
register(outlier_detection.RULE)
register(statistical_threshold.RULE)
register(custom_sql.RULE)

RULE_TYPES: tuple[str, ...] = tuple(REGISTRY)
CATEGORY: dict[str, str] = {name: t.category for name, t in REGISTRY.items()}
CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(CATEGORY.values()))


def get(name: str) -> RuleType:
    """The registered type called `name`; KeyError for another (callers validate first)."""
    return REGISTRY[name]


def find(name: str) -> RuleType | None:
    """The registered type called `name`, or None (a stored check of a type since removed)."""
    return REGISTRY.get(name)

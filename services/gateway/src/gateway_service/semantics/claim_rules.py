"""A column's claims ↔ the quality rules that enforce them: allowed values → `value_in_set`,
min/max → `range_check`, a format pattern → `pattern_match` (quality's rule types, see
docs/quality-rules.md). A rule enforces a claim when its type is the claim's and its config
says the same (same set of values, same bounds, same pattern)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf.json_format import MessageToDict

from datacompass.catalog.v1 import semantics_pb2 as pb
from datacompass.quality.v1 import quality_rules_pb2 as qpb

# The claim names as REST shows them (`allowed_values`, `range` for min and max, `format_pattern`).
ALLOWED, RANGE, PATTERN = "allowed_values", "range", "format_pattern"
RULE_TYPES = {ALLOWED: "value_in_set", RANGE: "range_check", PATTERN: "pattern_match"}
# Data types whose values quality compares as numbers (value_in_set then takes numbers).
_NUMERIC_TYPE = re.compile(
    r"int|numeric|decimal|float|double|real|number|serial|money", re.IGNORECASE
)


@dataclass(frozen=True)
class WantedRule:
    claim: str
    rule_type: str
    config: dict[str, Any]


def wanted(claims: pb.ValueClaims, data_type: str) -> list[WantedRule]:
    """The rules a column's (effective) claims call for, in claim order."""
    out = []
    if claims.allowed_values:
        values: list[Any] = list(claims.allowed_values)
        if _NUMERIC_TYPE.search(data_type) and all(_number(v) is not None for v in values):
            values = [_whole(_number(v)) for v in values]
        out.append(WantedRule(ALLOWED, RULE_TYPES[ALLOWED], {"allowed_values": values}))
    if claims.HasField("min_value") or claims.HasField("max_value"):
        bounds = {
            "min": _whole(claims.min_value) if claims.HasField("min_value") else None,
            "max": _whole(claims.max_value) if claims.HasField("max_value") else None,
        }
        out.append(WantedRule(RANGE, RULE_TYPES[RANGE], bounds))
    if claims.format_pattern:
        out.append(WantedRule(PATTERN, RULE_TYPES[PATTERN], {"pattern": claims.format_pattern}))
    return out


def enforcing(want: WantedRule, rules: Iterable[qpb.QualityRule]) -> qpb.QualityRule | None:
    """The first existing rule of the claim's type whose config says what the claim says."""
    for rule in rules:
        if rule.rule_type == want.rule_type and _same(want, MessageToDict(rule.config)):
            return rule
    return None


def enforced_by(
    claims: pb.ValueClaims, data_type: str, rules: Iterable[qpb.QualityRule]
) -> dict[str, qpb.QualityRule]:
    """Claim name → the rule that enforces it, for the claims that have one."""
    rules = list(rules)
    found = {w.claim: enforcing(w, rules) for w in wanted(claims, data_type)}
    return {claim: rule for claim, rule in found.items() if rule is not None}


def free_name(base: str, taken: Iterable[str]) -> str:
    """`base`, or `base_2`, `base_3`, ... when the column already has a rule of that name (an
    earlier claim's, since changed)."""
    names, n = set(taken), 1
    name = base
    while name in names:
        n += 1
        name = f"{base}_{n}"
    return name


def _same(want: WantedRule, config: Mapping[str, Any]) -> bool:
    if want.claim == ALLOWED:
        return _texts(config.get("allowed_values", [])) == _texts(want.config["allowed_values"])
    if want.claim == RANGE:
        return all(
            _number(config.get(k)) == _number(want.config[k]) for k in ("min", "max")
        ) and bool(config.get("inclusive", True))
    return config.get("pattern") == want.config["pattern"]


def _texts(values: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(_whole(n)) if (n := _number(v)) is not None else str(v) for v in values)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole(value: float | None) -> Any:
    """2.0 → 2 (configs and JSON show whole numbers as integers)."""
    if value is not None and float(value).is_integer():
        return int(value)
    return value

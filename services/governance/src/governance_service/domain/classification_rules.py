"""Auto-classification rules: records, validation, the roadmap's YAML format, and matching.

Patterns are compiled with RE2 (google-re2), whose matching time is linear in the input: a
pathological pattern such as `(a+)+$` cannot backtrack catastrophically and hang the service.
Constructs RE2 cannot run in linear time (backreferences, lookaround) are refused as invalid."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from dckit.errors import InvalidArgument
from dckit.patterns import compile_pattern
from governance_service.domain.classification import check_compliance, check_level, rank

PATTERNS = ("column_name_pattern", "schema_pattern", "object_name_pattern")


@dataclass(frozen=True)
class RuleSpec:
    name: str
    level: str
    compliance: tuple[str, ...] = ()
    column_name_pattern: str = ""
    schema_pattern: str = ""
    object_name_pattern: str = ""
    tags: tuple[str, ...] = ()
    priority: int = 0
    enabled: bool = True


# What an update may change (and the audit trail compares).
RULE_FIELDS = tuple(f.name for f in dataclasses.fields(RuleSpec))


@dataclass(frozen=True)
class ClassificationRule:
    """A stored rule: its spec's fields, flat, plus who made it and when."""

    id: int
    name: str
    level: str
    compliance: tuple[str, ...]
    column_name_pattern: str
    schema_pattern: str
    object_name_pattern: str
    tags: tuple[str, ...]
    priority: int
    enabled: bool
    created_by: str
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def spec(self) -> RuleSpec:
        return RuleSpec(**{name: getattr(self, name) for name in RULE_FIELDS})


def snapshot(spec: RuleSpec) -> dict[str, Any]:
    """A spec's values as stored and audited (lists, not tuples)."""
    return {f: list(v) if isinstance(v := getattr(spec, f), tuple) else v for f in RULE_FIELDS}


def merge(current: RuleSpec, fields: Iterable[str], update: RuleSpec) -> RuleSpec:
    """`current` with the named fields taken from `update` (unchecked)."""
    return dataclasses.replace(current, **{f: getattr(update, f) for f in fields})


def validate(spec: RuleSpec) -> RuleSpec:
    name = spec.name.strip()
    if not name:
        raise InvalidArgument("a rule needs a name")
    for attr in PATTERNS:
        value = getattr(spec, attr)
        if value:
            compile_pattern(value, attr)
    tags = tuple(sorted({t.strip().lower() for t in spec.tags if t.strip()}))
    if not (spec.column_name_pattern or spec.schema_pattern or spec.object_name_pattern or tags):
        raise InvalidArgument(f"rule {name!r} matches nothing: give a pattern or tags")
    return RuleSpec(
        name=name,
        level=check_level(spec.level),
        compliance=tuple(check_compliance(spec.compliance)),
        column_name_pattern=spec.column_name_pattern,
        schema_pattern=spec.schema_pattern,
        object_name_pattern=spec.object_name_pattern,
        tags=tags,
        priority=spec.priority,
        enabled=spec.enabled,
    )


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise InvalidArgument(f"{what} must be a string or a list of strings")


def parse_yaml(text: str) -> list[RuleSpec]:
    """The roadmap's classification-rules.yaml: `rules: [{name, match: {...}, apply: {...}}]`,
    optionally with `priority` and `enabled` per rule."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"invalid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise InvalidArgument("expected a mapping with a 'rules' list")
    specs: list[RuleSpec] = []
    for i, item in enumerate(doc["rules"], 1):
        if not isinstance(item, dict):
            raise InvalidArgument(f"rule #{i} must be a mapping")
        match, apply = item.get("match") or {}, item.get("apply") or {}
        if not isinstance(match, dict) or not isinstance(apply, dict):
            raise InvalidArgument(f"rule #{i}: 'match' and 'apply' must be mappings")
        unknown = set(match) - {*PATTERNS, "tags"}
        if unknown:
            raise InvalidArgument(f"rule #{i}: unknown match key(s) {', '.join(sorted(unknown))}")
        priority = item.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise InvalidArgument(f"rule #{i}: priority must be an integer")
        spec = RuleSpec(
            name=str(item.get("name") or ""),
            level=str(apply.get("level") or ""),
            compliance=tuple(_strings(apply.get("compliance"), f"rule #{i}: apply.compliance")),
            tags=tuple(_strings(match.get("tags"), f"rule #{i}: match.tags")),
            priority=priority,
            enabled=bool(item.get("enabled", True)),
            **{p: str(match.get(p) or "") for p in PATTERNS},
        )
        specs.append(validate(spec))
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InvalidArgument(f"duplicate rule name(s): {', '.join(dupes)}")
    return specs


@dataclass(frozen=True)
class Target:
    """What the rules look at: one catalog object and its columns."""

    schema: str
    name: str
    tags: frozenset[str]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    column: str  # "" = the object itself
    rule: RuleSpec
    rule_id: int = 0


@dataclass
class CompiledRule:
    spec: RuleSpec
    rule_id: int = 0
    compiled: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: RuleSpec, rule_id: int = 0) -> CompiledRule:
        compiled = {p: compile_pattern(getattr(spec, p), p) for p in PATTERNS if getattr(spec, p)}
        return cls(spec, rule_id, compiled)

    def _hit(self, attr: str, value: str) -> bool:
        pattern = self.compiled.get(attr)
        return pattern is None or pattern.search(value) is not None

    def object_matches(self, target: Target) -> bool:
        if self.spec.tags and not (set(self.spec.tags) & target.tags):
            return False
        return self._hit("schema_pattern", target.schema) and self._hit(
            "object_name_pattern", target.name
        )

    def columns(self, target: Target) -> list[str]:
        return [c for c in target.columns if self._hit("column_name_pattern", c)]


def _better(a: Decision, b: Decision) -> bool:
    """Higher priority wins; on a tie the more protective (higher) level."""
    return (a.rule.priority, rank(a.rule.level)) > (b.rule.priority, rank(b.rule.level))


def decide(rules: Sequence[CompiledRule], target: Target) -> dict[str, Decision]:
    """Which rule classifies what: a rule with a column pattern classifies the matching columns
    of matching objects; a rule without one classifies the matching object itself."""
    out: dict[str, Decision] = {}
    for rule in rules:
        if not rule.spec.enabled or not rule.object_matches(target):
            continue
        hits: Iterable[str] = rule.columns(target) if rule.spec.column_name_pattern else [""]
        for column in hits:
            decision = Decision(column, rule.spec, rule.rule_id)
            current = out.get(column)
            if current is None or _better(decision, current):
                out[column] = decision
    return out

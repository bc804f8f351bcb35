"""Capsule as code, the `quality_rules` section (capsule model extension, Appendix A §4): the
capsule's quality rules as a file lists them, read, written and compared. The rules live in the
quality service; this module only knows their shape.

An entry names a column (`column: amount`) or the capsule (`capsule_level: true`), the rule
type (`rule: unique`), and optionally `severity`, `blocking`, `enabled`, `description`; every
other key is the rule's configuration (`min: 0`, `threshold: 4 hours`), which the quality
service validates. A rule is known by its column and type; a column may hold several rules of
one type (two range checks, say), told apart by their order (`amount.range_check`,
`amount.range_check#2`) in the order `render` writes them. Rules as plain data:

    {"column": str ("" = capsule level), "rule": str, "severity": str, "blocking": bool,
     "enabled": bool, "description": str, "config": {key: value}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from catalog_service.domain.capsule_code import Change, Problems

SECTION = "quality_rules"
SEVERITIES = ("info", "warning", "error", "critical")
DEFAULT_SEVERITY = "warning"
CAPSULE = "capsule_level"
FIELDS = ("column", CAPSULE, "rule", "severity", "blocking", "enabled", "description")

Rule = dict[str, Any]


def key(rule: Mapping[str, Any]) -> str:
    """`column.rule`, or `capsule_level.rule` for a capsule-level rule."""
    return f"{rule['column'] or CAPSULE}.{rule['rule']}"


def _order(rule: Mapping[str, Any]) -> tuple[str, str, str]:
    """Rules sorted by column, type, then their settings: the same rules always in one order."""
    return (rule["column"], rule["rule"], json.dumps(comparable(rule), sort_keys=True, default=str))


def keyed(rules: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The rules by key, a second rule of a type on the same column as `key#2`, and so on."""
    out: dict[str, Mapping[str, Any]] = {}
    for rule in sorted(rules, key=_order):
        base = key(rule)
        name, n = base, 1
        while name in out:
            n += 1
            name = f"{base}#{n}"
        out[name] = rule
    return out


def parse(value: Any, path: str, problems: Problems) -> list[Rule]:
    """The section's rules, cleaned (types, severity)."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, "must be a list of rules")
        return []
    out: list[Rule] = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            problems.add(where, "must be a mapping (column or capsule_level, rule, ...)")
            continue
        rule = _rule(item, where, problems)
        if rule is None:
            continue
        out.append(rule)
    return out


def _rule(item: Mapping[str, Any], where: str, problems: Problems) -> Rule | None:
    column = item.get("column")
    capsule_level = item.get(CAPSULE, False)
    rule_type = item.get("rule")
    ok = True
    if not isinstance(capsule_level, bool):
        problems.add(f"{where}.{CAPSULE}", "must be true or false")
        ok = False
    if column is not None and (not isinstance(column, str) or not column.strip()):
        problems.add(f"{where}.column", "must be a column name")
        ok = False
    if bool(column) == bool(capsule_level):
        problems.add(where, "names a column or says capsule_level: true (one of the two)")
        ok = False
    if not isinstance(rule_type, str) or not rule_type.strip():
        problems.add(f"{where}.rule", "must name a rule type")
        ok = False
    severity = item.get("severity", DEFAULT_SEVERITY)
    if severity not in SEVERITIES:
        problems.add(f"{where}.severity", f"must be one of {', '.join(SEVERITIES)}")
        ok = False
    for flag in ("blocking", "enabled"):
        if flag in item and not isinstance(item[flag], bool):
            problems.add(f"{where}.{flag}", "must be true or false")
            ok = False
    description = item.get("description", "")
    if not isinstance(description, str):
        problems.add(f"{where}.description", "must be text")
        ok = False
    if not ok:
        return None
    assert isinstance(rule_type, str)
    return {
        "column": (column or "").strip(),
        "rule": rule_type.strip(),
        "severity": severity,
        "blocking": item.get("blocking", False),
        "enabled": item.get("enabled", True),
        "description": description.strip(),
        "config": {k: v for k, v in item.items() if k not in FIELDS},
    }


def render(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The section as a file writes it: rules sorted by column and type, severity and blocking
    always written, `enabled` only when false; the same rules always give the same entries."""
    out: list[dict[str, Any]] = []
    for rule in sorted(rules, key=_order):
        entry: dict[str, Any] = {"column": rule["column"]} if rule["column"] else {CAPSULE: True}
        entry["rule"] = rule["rule"]
        entry["severity"] = rule["severity"]
        entry["blocking"] = bool(rule["blocking"])
        if not rule["enabled"]:
            entry["enabled"] = False
        if rule["description"]:
            entry["description"] = rule["description"]
        for name in sorted(rule["config"]):  # None = the default, which a file leaves out
            if rule["config"][name] is not None:
                entry[name] = _plain(rule["config"][name])
        out.append(entry)
    return out


def _plain(value: Any) -> Any:
    """Numbers that came back as floats (protobuf Struct) written as the integers they are."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def comparable(rule: Mapping[str, Any]) -> dict[str, Any]:
    """What a plan shows and compares of a rule (no id, config numbers normalized)."""
    return {
        "severity": rule["severity"],
        "blocking": bool(rule["blocking"]),
        "enabled": bool(rule["enabled"]),
        "description": rule["description"],
        "config": _plain({k: v for k, v in rule["config"].items() if v is not None}),
    }


def plan(current: Sequence[Mapping[str, Any]], target: Sequence[Mapping[str, Any]]) -> list[Change]:
    """One Change per rule created, changed or removed (path `quality_rules.<column>.<rule>`,
    old/new the rule's comparable values, None when absent), sorted by path."""
    before = {k: comparable(r) for k, r in keyed(current).items()}
    after = {k: comparable(r) for k, r in keyed(target).items()}
    return [
        Change(SECTION, f"{SECTION}.{k}", before.get(k), after.get(k), field=SECTION)
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    ]

"""The quality_rules section of a capsule file as plain data: a column may hold two rules of
one type (the README adds a range check that a claim may add again), and the file keeps them
apart in a stable order, so export → apply → export holds."""

from __future__ import annotations

from typing import Any

from catalog_service.domain import capsule_rules
from catalog_service.domain.capsule_code import Problems


def rule(config: dict[str, Any], **fields: Any) -> dict[str, Any]:
    base = {"column": "order_total", "rule": "range_check", "severity": "warning"}
    base.update({"blocking": False, "enabled": True, "description": "", "config": config})
    return {**base, **fields}


def test_two_rules_of_a_type_on_a_column_round_trip() -> None:
    stored = [rule({"min": 0}, blocking=True), rule({"min": 0, "max": 1000})]
    rendered = capsule_rules.render(stored)
    assert capsule_rules.render(list(reversed(stored))) == rendered  # one order, always
    problems = Problems()
    parsed = capsule_rules.parse(rendered, "data_capsule.quality_rules", problems)
    assert not problems.items and len(parsed) == 2
    assert capsule_rules.plan(stored, parsed) == []  # applying the export changes nothing
    assert sorted(capsule_rules.keyed(parsed)) == [
        "order_total.range_check",
        "order_total.range_check#2",
    ]


def test_a_changed_second_rule_is_one_planned_change() -> None:
    stored = [rule({"min": 0}), rule({"min": 5})]
    target = [rule({"min": 0}), rule({"min": 5}, severity="error")]
    changes = capsule_rules.plan(stored, target)
    assert [(c.path, c.old["severity"], c.new["severity"]) for c in changes] == [
        ("quality_rules.order_total.range_check#2", "warning", "error")
    ]

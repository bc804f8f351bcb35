"""Quality rules ↔ protobuf."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datacompass.quality.v1 import quality_rules_pb2 as pb
from dckit.protoconv import from_message, mask_changes, to_message
from quality_service.domain.json_values import json_safe
from quality_service.domain.quality_rules import FIELDS, QualityRuleSpec, expected_text
from quality_service.domain.rule_types.base import RuleSpec


def rule(row: Mapping[str, Any]) -> pb.QualityRule:
    spec = RuleSpec(row["rule_type"], row["category"], row["column_name"], dict(row["config"]))
    return to_message(
        pb.QualityRule,
        row,
        complete=True,
        rename={"column": "column_name"},
        config=json_safe(row["config"]),
        expected=expected_text(spec),
    )


def checked_rule(checked: RuleSpec, spec: QualityRuleSpec) -> pb.QualityRule:
    """A rule validated and not stored (validate_only): no id, its config normalised."""
    return pb.QualityRule(
        column=checked.column,
        rule_type=checked.rule_type,
        category=checked.category,
        config=json_safe(checked.config),
        severity=checked.severity,
        blocking=checked.blocking,
        enabled=spec.enabled,
        description=spec.description,
        expected=expected_text(checked),
    )


def rule_changed(change: str, row: Mapping[str, Any]) -> pb.QualityRuleChanged:
    """The event payload: the rule without its config (values stay out of events)."""
    message = rule(row)
    message.ClearField("config")
    return pb.QualityRuleChanged(change=change, rule=message)


def rule_spec(request: pb.CreateQualityRuleRequest) -> QualityRuleSpec:
    return from_message(QualityRuleSpec, request)


def rule_changes(request: pb.UpdateQualityRuleRequest) -> dict[str, Any]:
    return mask_changes(request.rule, request.update_mask, FIELDS)
